/**
 * The canonical JSON of a value, RFC 8785 (JSON Canonicalization Scheme):
 * no whitespace, object members sorted by their names' UTF-16 code units,
 * strings and numbers as ECMAScript's JSON.stringify writes them. What a
 * receipt's data digest is computed over, so a response parsed and written
 * again by any client hashes the same.
 */
import { createHash } from "node:crypto";

/**
 * @throws TypeError for a value JSON cannot hold (a non-finite number, a bigint, a function)
 */
export function canonicalJson(value: unknown): string {
  // Plain data (a response's `data`): JSON.stringify writes each object's members in the order of a property
  // list, so the sorted list of every member name in the value gives the same text natively, with no string
  // built per member. Anything else (toJSON, class instances, holes, what JSON cannot hold) is written below.
  const names = new Set<string>();
  if (isPlainData(value, names)) return JSON.stringify(value, [...names].sort());
  return writeCanonical(value);
}

/**
 * Whether JSON.stringify with a property list of `names` writes `value` as
 * writeCanonical does: null, booleans, strings, finite numbers, dense arrays,
 * and objects with Object.prototype or no prototype, no toJSON, whose members
 * hold the same (undefined and functions skipped by both). Collects the
 * member names on the way. Not `__proto__`: JSON.stringify would read the
 * prototype for an object without that member.
 */
function isPlainData(value: unknown, names: Set<string>): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case "boolean":
    case "string":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return false;
          const item: unknown = value[i];
          if (item !== undefined && !isPlainData(item, names)) return false;
        }
        return true;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
      for (const name in value) {
        if (!Object.hasOwn(value, name)) return false;
        if (name === "__proto__") return false;
        const member: unknown = (value as Record<string, unknown>)[name];
        if (member === undefined || typeof member === "function") continue;
        if (!isPlainData(member, names)) return false;
        names.add(name);
      }
      return true;
    }
    default:
      return false;
  }
}

/** The canonical JSON of any value, written member by member. */
function writeCanonical(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonical JSON cannot hold a non-finite number");
      // ECMAScript's Number-to-String is RFC 8785's number form (and -0 is written 0).
      return JSON.stringify(value);
    case "object": {
      // Written by appending (no array of parts per object): this runs over every response that releases data.
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          // A hole is written as nothing, an undefined item as null (what mapping and joining did).
          if (i in value) out += value[i] === undefined ? "null" : writeCanonical(value[i]);
        }
        return `${out}]`;
      }
      const withToJson = value as { toJSON?: () => unknown };
      if (typeof withToJson.toJSON === "function") return writeCanonical(withToJson.toJSON());
      let out = "{";
      // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
      for (const key of Object.keys(value).sort()) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined || typeof member === "function") continue;
        out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${writeCanonical(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** SHA-256 (hex) of a value's canonical JSON: the `data` digest of a receipt. */
export function canonicalDigest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
