/**
 * The short-lived JWS the gateway attaches to every subgraph request: signed
 * with the gateway's own key, for one subgraph (`aud`), carrying the app,
 * scopes, citizens and purpose. Tokens are reused per (subgraph, app,
 * permissions, purpose) until shortly before they expire, so a request does
 * not pay five signatures. Signed synchronously with node:crypto
 * (compactJwsSigner.ts) whatever the key's algorithm; an Ed25519 key
 * (`alg` EdDSA) is the cheapest.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { compactJwsSigner, encodedHeader } from "../../platform/security/compactJwsSigner.ts";
import type { SigningKey } from "../../platform/security/keys.ts";
import { GATEWAY_ISSUER, subgraphAudience } from "../../platform/security/subgraphTokens.ts";
import type { Principal } from "../authn/Principal.ts";


export interface SubgraphTokenSignerOptions {
  key: SigningKey;
  /** @default 60 */
  lifetimeSeconds?: number;
}

export function createSubgraphTokenSigner(options: SubgraphTokenSignerOptions) {
  const lifetime = options.lifetimeSeconds ?? 60;
  const cache = new Map<string, { token: Promise<string>; renewAt: number }>();
  // Verified principals are reused per app token, so their cache keys are worked out once.
  const signSync = compactJwsSigner(options.key);
  const header = encodedHeader({ alg: options.key.alg, kid: options.key.kid, typ: "JWT" });
  const keys = new WeakMap<Principal, { permission: string; scope: string; citizens: string[] | undefined }>();

  return function subgraphTokenFor(principal: Principal, subgraphName: string): Promise<string> {
    let known = keys.get(principal);
    if (!known) {
      const citizens = principal.citizens ? [...principal.citizens].sort() : undefined;
      known = { scope: principal.scopeKey, citizens, permission: `${principal.app}\n${principal.scopeKey}\n${citizens?.join(",") ?? "*"}\n${principal.purpose}` };
      keys.set(principal, known);
    }
    const { scope, citizens } = known;
    const key = `${subgraphName}\n${known.permission}`;
    const now = Math.floor(Date.now() / 1000);
    const cached = cache.get(key);
    if (cached && cached.renewAt > now) return cached.token;
    const claims = { scope, purpose: principal.purpose, ...(citizens ? { citizens } : {}) };
    const token = signSync
      ? Promise.resolve(
          signSync(header, { ...claims, iss: GATEWAY_ISSUER, aud: subgraphAudience(subgraphName), sub: principal.app, jti: randomUUID(), iat: now, exp: now + lifetime }),
        )
      : new SignJWT(claims)
          .setProtectedHeader({ alg: options.key.alg, kid: options.key.kid, typ: "JWT" })
          .setIssuer(GATEWAY_ISSUER)
          .setAudience(subgraphAudience(subgraphName))
          .setSubject(principal.app)
          .setJti(randomUUID())
          .setIssuedAt(now)
          .setExpirationTime(now + lifetime)
          .sign(options.key.key);
    if (cache.size >= 10_000) cache.delete(cache.keys().next().value!);
    cache.set(key, { token, renewAt: now + lifetime - 15 });
    return token;
  };
}
