/**
 * Synchronous compact-JWS signing with node:crypto for the algorithms a
 * gateway key may have: EdDSA (Ed25519, the cheapest: no hash to choose, a
 * fraction of ES256's cost), ES256/ES384 (raw r||s, as JOSE wants) and
 * RS256/PS256. jose's SignJWT goes through WebCrypto's promise for every
 * signature; this signs on the spot with the same key, and writes the same
 * JWS any JOSE library verifies.
 */
import { constants, KeyObject, sign, type SignKeyObjectInput } from "node:crypto";
import type { SigningKey } from "./keys.ts";

/** Signs `payload` (a JSON-able object) under `header` (already base64url JSON). */
export type CompactJwsSigner = (encodedHeader: string, payload: unknown) => string;

const base64url = (text: string) => Buffer.from(text).toString("base64url");

/** The protected header `{ alg, kid, typ }`, base64url-encoded once. */
export function encodedHeader(header: Record<string, string>): string {
  return base64url(JSON.stringify(header));
}

/** @returns undefined for an algorithm it does not know (the caller then uses jose) */
export function compactJwsSigner(key: SigningKey): CompactJwsSigner | undefined {
  const keyObject = key.key instanceof Uint8Array ? undefined : KeyObject.from(key.key as Parameters<typeof KeyObject.from>[0]);
  if (!keyObject || keyObject.type !== "private") return undefined;
  let algorithm: string | null;
  let input: KeyObject | SignKeyObjectInput;
  switch (key.alg) {
    case "EdDSA":
    case "Ed25519":
      if (keyObject.asymmetricKeyType !== "ed25519") return undefined;
      [algorithm, input] = [null, keyObject];
      break;
    case "ES256":
      [algorithm, input] = ["sha256", { key: keyObject, dsaEncoding: "ieee-p1363" }];
      break;
    case "ES384":
      [algorithm, input] = ["sha384", { key: keyObject, dsaEncoding: "ieee-p1363" }];
      break;
    case "RS256":
      [algorithm, input] = ["sha256", keyObject];
      break;
    case "PS256":
      [algorithm, input] = ["sha256", { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }];
      break;
    default:
      return undefined;
  }
  return (header, payload) => {
    const signingInput = `${header}.${base64url(JSON.stringify(payload))}`;
    return `${signingInput}.${sign(algorithm, Buffer.from(signingInput), input).toString("base64url")}`;
  };
}
