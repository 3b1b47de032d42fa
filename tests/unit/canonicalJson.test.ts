/** RFC 8785 (JCS) canonical JSON: the RFC's own examples for numbers, strings and member order. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalDigest, canonicalJson } from "../../gateway/receipts/canonicalJson.ts";

describe("canonicalJson (RFC 8785)", () => {
  it("writes the RFC's sample as the RFC does (section 3.2.2)", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it("orders members by UTF-16 code units (section 3.2.3)", () => {
    const input = { "\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7 };
    const keys = Object.keys(JSON.parse(canonicalJson(input)));
    // JSON.parse puts the integer-like key first on its own; compare the written order instead.
    const written = [...canonicalJson(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(written).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
    expect(keys).toHaveLength(7);
  });

  it("nests, drops undefined members, writes -0 as 0 and refuses what JSON cannot hold", () => {
    expect(canonicalJson({ b: [1, { d: null, c: "x" }], a: undefined, z: -0 })).toBe('{"b":[1,{"c":"x","d":null}],"z":0}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });

  it("hashes a value the same however its members were ordered, and differently when a value changes", () => {
    const a = { citizen: { name: "李伟", housingFundAccount: { balance: "86400.00", status: "ACTIVE" } } };
    const b = JSON.parse('{"citizen":{"housingFundAccount":{"status":"ACTIVE","balance":"86400.00"},"name":"李伟"}}');
    expect(canonicalDigest(b)).toBe(canonicalDigest(a));
    expect(canonicalDigest({ citizen: { ...a.citizen, housingFundAccount: { balance: "86400.01", status: "ACTIVE" } } })).not.toBe(canonicalDigest(a));
  });

  it("writes any JSON value as a member-by-member writer does, whichever way it takes", () => {
    // The oracle: members sorted by UTF-16 code units, everything else as JSON.stringify writes it.
    const oracle = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : oracle(item))).join(",")}]`;
      if (value !== null && typeof value === "object") {
        const members = Object.keys(value)
          .sort()
          .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
          .map((key) => `${JSON.stringify(key)}:${oracle((value as Record<string, unknown>)[key])}`);
        return `{${members.join(",")}}`;
      }
      return JSON.stringify(value);
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(oracle(value));
        // The same value as the wire brings it (own __proto__ members, integer-like names first).
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        expect(canonicalJson(parsed)).toBe(oracle(parsed));
      }),
      { numRuns: 500 },
    );
  });

  it("writes objects without a prototype, missing members named like Object.prototype's, dates and toJSON as before", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { z: 1, constructor: "c" });
    expect(canonicalJson([bare, { a: 1 }])).toBe('[{"constructor":"c","z":1},{"a":1}]');
    expect(canonicalJson([JSON.parse('{"__proto__":{"x":1},"b":2}'), { b: 3 }])).toBe('[{"__proto__":{"x":1},"b":2},{"b":3}]');
    expect(canonicalJson({ at: new Date(0), n: { toJSON: () => ({ y: 2, x: 1 }) } })).toBe('{"at":"1970-01-01T00:00:00.000Z","n":{"x":1,"y":2}}');
    expect(canonicalJson({ list: [undefined, 1], f: () => 1 })).toBe('{"list":[null,1]}');
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(TypeError);
  });
});
