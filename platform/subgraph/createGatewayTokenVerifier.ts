/**
 * A subgraph trusts only the gateway: every request must carry the
 * gateway's short-lived JWS for this subgraph (issuer, audience, signature by
 * the gateway's key), `_service` and `_entities` included. What it says
 * (app, scopes, citizens, purpose) becomes the resolvers' `caller`.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { GATEWAY_ISSUER, subgraphAudience } from "../security/subgraphTokens.ts";

/** The app on whose behalf the gateway asks, as the gateway vouched for it. */
export interface SubgraphCaller {
  app: string;
  scopes: ReadonlySet<string>;
  /** Citizens the app may read; null when not bound. */
  citizens: ReadonlySet<string> | null;
  purpose: string;
}

export function createGatewayTokenVerifier(options: { jwks: JSONWebKeySet; subgraphName: string }) {
  const keySet = createLocalJWKSet(options.jwks);
  const audience = subgraphAudience(options.subgraphName);
  const verified = new Map<string, { caller: SubgraphCaller; expiresAt: number }>();

  /** @throws Error when the header holds no valid gateway token for this subgraph */
  return async function verifyGatewayToken(header: string | undefined): Promise<SubgraphCaller> {
    const token = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header ?? "")?.[1];
    if (!token) throw new Error("missing gateway token");
    const cached = verified.get(token);
    if (cached && cached.expiresAt > Date.now() / 1000) return cached.caller;
    const { payload } = await jwtVerify(token, keySet, {
      issuer: GATEWAY_ISSUER,
      audience,
      algorithms: ["ES256", "EdDSA", "RS256"],
      clockTolerance: 5,
      requiredClaims: ["sub", "exp", "iat", "purpose"],
    });
    const caller: SubgraphCaller = {
      app: payload.sub!,
      scopes: new Set(String(payload.scope ?? "").split(" ").filter(Boolean)),
      citizens: Array.isArray(payload.citizens) ? new Set(payload.citizens as string[]) : null,
      purpose: String(payload.purpose),
    };
    if (verified.size >= 10_000) verified.delete(verified.keys().next().value!);
    verified.set(token, { caller, expiresAt: payload.exp! });
    return caller;
  };
}
