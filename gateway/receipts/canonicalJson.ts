/**
 * The canonical JSON of a value, RFC 8785 (JSON Canonicalization Scheme):
 * no whitespace, object members sorted by their names' UTF-16 code units,
 * strings and numbers as ECMAScript's JSON.stringify writes them. What a
 * receipt's data digest is computed over, so a response parsed and written
 * again by any client hashes the same.
 */
import { createHash } from "node:crypto";

/** @throws TypeError for a value JSON cannot hold (a non-finite number, a bigint, a function) */
export function canonicalJson(value: unknown): string {
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
          if (i in value) out += value[i] === undefined ? "null" : canonicalJson(value[i]);
        }
        return `${out}]`;
      }
      const withToJson = value as { toJSON?: () => unknown };
      if (typeof withToJson.toJSON === "function") return canonicalJson(withToJson.toJSON());
      let out = "{";
      // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
      for (const key of Object.keys(value).sort()) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined || typeof member === "function") continue;
        out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${canonicalJson(member)}`;
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
