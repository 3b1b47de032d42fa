/**
 * What a signed receipt says (the JWS payload of `extensions.receipt`): which
 * audit record this response was written to, when, for which app and
 * purpose, about which citizens (pseudonyms), with which fields granted, and
 * the digest of the `data` released. Never a value.
 */

/** The JWS `typ` of a receipt. */
export const RECEIPT_TYPE = "gateway-receipt+jws";

/** The canonical form the data digest is computed over. */
export const RECEIPT_CANONICALIZATION = "RFC8785";

export interface ReceiptClaims {
  /** Seconds since the epoch at signing. */
  iat: number;
  /** The audit record this response was committed as. */
  audit: { seq: string; hash: string };
  /** The audit record's time (the request's start), ISO 8601. */
  time: string;
  app: string | null;
  purpose: string | null;
  /** HMAC pseudonyms of the citizens asked for or read, sorted (as in the audit record). */
  citizens: string[];
  /** Field coordinates granted, sorted (as in the audit record). */
  fields: string[];
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the response's `data`. */
  data: { c14n: typeof RECEIPT_CANONICALIZATION; sha256: string };
}
