/**
 * Checks a saved gateway response against its receipt, offline: the JWS
 * verifies with a key of the gateway's published JWKS (EdDSA only), and the
 * SHA-256 of the response's canonical `data` is the one signed. Every
 * mismatch is named; nothing is trusted from the response but its bytes.
 */
import { compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from "jose";
import { canonicalDigest } from "./canonicalJson.ts";
import { RECEIPT_CANONICALIZATION, RECEIPT_TYPE, type ReceiptClaims } from "./Receipt.ts";

export interface ReceiptVerification {
  ok: boolean;
  /** The signed claims, when the signature verified. */
  claims: ReceiptClaims | null;
  /** What does not match, e.g. `data: SHA-256 of the canonical data differs from the receipt's`. */
  problems: string[];
}

/** A response as an app saved it: `{ data, errors?, extensions: { receipt } }`. */
export interface SavedResponse {
  data?: unknown;
  extensions?: { receipt?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

export async function verifyReceipt(response: SavedResponse, jwks: JSONWebKeySet): Promise<ReceiptVerification> {
  const receipt = response.extensions?.receipt;
  if (typeof receipt !== "string") return { ok: false, claims: null, problems: ["receipt: the response carries no extensions.receipt"] };
  let claims: ReceiptClaims;
  try {
    const { payload, protectedHeader } = await compactVerify(receipt, createLocalJWKSet(jwks), { algorithms: ["EdDSA", "Ed25519"] });
    if (protectedHeader.typ !== RECEIPT_TYPE) return { ok: false, claims: null, problems: [`receipt: typ is ${JSON.stringify(protectedHeader.typ)}, not ${RECEIPT_TYPE}`] };
    claims = JSON.parse(new TextDecoder().decode(payload)) as ReceiptClaims;
  } catch (error) {
    return { ok: false, claims: null, problems: [`signature: ${signatureProblem(error)}`] };
  }
  const problems: string[] = [];
  if (claims.data?.c14n !== RECEIPT_CANONICALIZATION) problems.push(`data: unknown canonical form ${JSON.stringify(claims.data?.c14n)}`);
  else if (!("data" in response)) problems.push("data: the response has no data, the receipt covers some");
  else {
    const digest = canonicalDigest(response.data);
    if (digest !== claims.data.sha256) problems.push(`data: SHA-256 of the canonical data is ${digest}, the receipt signed ${claims.data.sha256}`);
  }
  return { ok: problems.length === 0, claims, problems };
}

function signatureProblem(error: unknown): string {
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the JWKS matches the receipt's kid (signed by another key)";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "does not verify with the published key";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed (EdDSA only)";
  if (error instanceof errors.JWSInvalid || error instanceof errors.JOSEError) return "not a valid compact JWS";
  return "cannot be checked";
}
