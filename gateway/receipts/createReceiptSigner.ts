/**
 * Signs receipts with the gateway's Ed25519 key: a compact JWS (`alg`
 * EdDSA) made with node:crypto directly, synchronously — one signature per
 * response that releases data, the cheapest JOSE signature there is.
 */
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { JWK } from "jose";
import { RECEIPT_TYPE, type ReceiptClaims } from "./Receipt.ts";

export interface ReceiptSigner {
  /** The key id receipts name in their header. */
  kid: string;
  sign(claims: ReceiptClaims): string;
}

const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");

/** @throws naming the file when it is not an Ed25519 private JWK with a kid */
export function createReceiptSigner(keyPath: string): ReceiptSigner {
  let jwk: JWK;
  let key: KeyObject;
  try {
    jwk = JSON.parse(readFileSync(keyPath, "utf8")) as JWK;
    key = createPrivateKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
  } catch {
    throw new Error(`cannot read receipt signing key ${keyPath}`);
  }
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.kid) throw new Error(`${keyPath} is not an Ed25519 private JWK with a kid`);
  const header = base64url(JSON.stringify({ alg: "EdDSA", kid: jwk.kid, typ: RECEIPT_TYPE }));
  return {
    kid: jwk.kid,
    sign(claims) {
      const signingInput = `${header}.${base64url(JSON.stringify(claims))}`;
      return `${signingInput}.${base64url(sign(null, Buffer.from(signingInput), key))}`;
    },
  };
}
