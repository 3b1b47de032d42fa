/** RFC 8785 (JCS) canonical JSON: the RFC's own examples for numbers, strings and member order. */
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
});
