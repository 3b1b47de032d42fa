/**
 * The static gateway → subgraph tokens the comparison gateways (plain Apollo,
 * Hive) send: one per subgraph (its own `aud`), signed once at start with the
 * gateway's key, holding every scope, purpose BENCH, valid for an hour. This
 * gateway signs its own short-lived ones per app instead.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignJWT } from "jose";
import { subgraphUrlsOf } from "../../gateway/supergraph/subgraphUrlsOf.ts";
import { scopesOf } from "../../schema/scopesOf.ts";
import { SUPERGRAPH_PATH } from "./benchSupergraph.ts";
import { loadSigningKey } from "../../platform/security/keys.ts";
import { GATEWAY_ISSUER, subgraphAudience } from "../../platform/security/subgraphTokens.ts";

export async function signBenchSubgraphTokens(options: {
  signingKeyPath: string;
  subgraphNames: readonly string[];
  scopes: readonly string[];
}): Promise<Record<string, string>> {
  const key = await loadSigningKey(options.signingKeyPath);
  const now = Math.floor(Date.now() / 1000);
  const tokens: Record<string, string> = {};
  for (const name of options.subgraphNames) {
    tokens[name] = await new SignJWT({ scope: [...options.scopes].join(" "), purpose: "BENCH" })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .setIssuer(GATEWAY_ISSUER)
      .setAudience(subgraphAudience(name))
      .setSubject("app:bench")
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(key.key);
  }
  return tokens;
}

/**
 * What a comparison gateway's process starts with: the supergraph it serves
 * (SUPERGRAPH_PATH) and a token per subgraph in it, holding every scope of
 * the committed supergraph, signed with GATEWAY_SIGNING_KEY.
 */
export async function benchGatewaySetup(env: NodeJS.ProcessEnv): Promise<{ supergraphSdl: string; tokens: Record<string, string> }> {
  const supergraphSdl = readFileSync(env.SUPERGRAPH_PATH!, "utf8");
  const tokens = await signBenchSubgraphTokens({
    signingKeyPath: env.GATEWAY_SIGNING_KEY!,
    subgraphNames: Object.keys(subgraphUrlsOf(supergraphSdl)),
    scopes: scopesOf(readFileSync(SUPERGRAPH_PATH, "utf8")),
  });
  return { supergraphSdl, tokens };
}
