/**
 * Signing keys on disk: the gateway's own key (subgraph tokens, signed audit
 * heads), its Ed25519 receipt key (signed receipts on responses) and, for development, the dev issuer's key that `npm run token`
 * signs app tokens with. Private keys are JWK files, public ones JWKS files;
 * the audit log's pseudonym secret is a hex file.
 * `ensureDevKeys` creates missing ones once under `DATA_DIR/keys` (never committed).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from "jose";

/** A private signing key with its key id and algorithm. */
export interface SigningKey {
  key: CryptoKey | Uint8Array;
  kid: string;
  alg: string;
}

/** The key files `ensureDevKeys` writes under `<dataDir>/keys`. */
export function devKeyPaths(dataDir: string) {
  const dir = join(dataDir, "keys");
  return {
    dir,
    issuerPrivate: join(dir, "dev-issuer.private.jwk.json"),
    issuerJwks: join(dir, "dev-issuer.jwks.json"),
    gatewayPrivate: join(dir, "gateway.private.jwk.json"),
    gatewayJwks: join(dir, "gateway.jwks.json"),
    receiptPrivate: join(dir, "receipts.private.jwk.json"),
    receiptJwks: join(dir, "receipts.jwks.json"),
    auditPseudonymKey: join(dir, "audit-pseudonym.key"),
  };
}

async function writeKeyPair(privatePath: string, jwksPath: string, alg: "ES256" | "EdDSA" = "ES256"): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: "sig" };
  writeFileSync(privatePath, JSON.stringify(privateJwk, null, 2), { mode: 0o600 });
  writeFileSync(jwksPath, JSON.stringify({ keys: [{ ...publicJwk, kid, alg, use: "sig" }] }, null, 2));
}

/**
 * Creates the dev issuer's and the gateway's key pairs (and its Ed25519 receipt key) under `<dataDir>/keys` unless they exist.
 * The gateway's is ES256 unless `gatewayAlg` says EdDSA (Ed25519: the cheapest to sign subgraph tokens with).
 */
export async function ensureDevKeys(dataDir: string, options: { gatewayAlg?: "ES256" | "EdDSA" } = {}): Promise<ReturnType<typeof devKeyPaths>> {
  const paths = devKeyPaths(dataDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(paths.issuerPrivate) || !existsSync(paths.issuerJwks)) await writeKeyPair(paths.issuerPrivate, paths.issuerJwks);
  if (!existsSync(paths.gatewayPrivate) || !existsSync(paths.gatewayJwks)) await writeKeyPair(paths.gatewayPrivate, paths.gatewayJwks, options.gatewayAlg);
  if (!existsSync(paths.receiptPrivate) || !existsSync(paths.receiptJwks)) await writeKeyPair(paths.receiptPrivate, paths.receiptJwks, "EdDSA");
  if (!existsSync(paths.auditPseudonymKey)) writeFileSync(paths.auditPseudonymKey, randomBytes(32).toString("hex"), { mode: 0o600 });
  return paths;
}

/** Loads a private JWK file. @throws naming the file when missing or not a private key */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(path, "utf8")) as JWK;
  } catch {
    throw new Error(`cannot read signing key ${path}`);
  }
  if (!jwk.d || !jwk.kid || !jwk.alg) throw new Error(`${path} is not a private JWK with kid and alg`);
  return { key: await importJWK(jwk, jwk.alg), kid: jwk.kid, alg: jwk.alg };
}

/** The public JWKS of a private JWK file (its private members dropped). @throws naming the file */
export function publicJwksOfPrivateKey(path: string): JSONWebKeySet {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(path, "utf8")) as JWK;
  } catch {
    throw new Error(`cannot read signing key ${path}`);
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return { keys: [publicJwk] };
}

/** Loads a JWKS file. @throws naming the file */
export function loadJwks(path: string): JSONWebKeySet {
  try {
    const jwks = JSON.parse(readFileSync(path, "utf8")) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new Error();
    return jwks;
  } catch {
    throw new Error(`cannot read JWKS ${path}`);
  }
}
