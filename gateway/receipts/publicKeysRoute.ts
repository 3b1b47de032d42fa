/**
 * `GET /.well-known/jwks.json`: the gateway's public keys (the receipt key
 * and the key subgraph tokens and audit heads are signed with), so anyone
 * holding a receipt can check it. Public members only.
 */
import type { JSONWebKeySet } from "jose";
import type { RouteHandler } from "../../platform/http/createGraphQLHttpServer.ts";

export const PUBLIC_KEYS_PATH = "/.well-known/jwks.json";

const PRIVATE_MEMBERS = new Set(["d", "p", "q", "dp", "dq", "qi", "k", "oth"]);

export function publicKeysRoute(sets: JSONWebKeySet[]): Record<string, RouteHandler> {
  const keys = sets.flatMap((set) => set.keys).map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.has(name))));
  const body = JSON.stringify({ keys });
  return {
    [PUBLIC_KEYS_PATH]: (request, response) => {
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.statusCode = 405;
        response.setHeader("allow", "GET, HEAD");
        return void response.end();
      }
      response.setHeader("content-type", "application/jwk-set+json");
      response.setHeader("cache-control", "public, max-age=300");
      response.end(request.method === "HEAD" ? undefined : body);
    },
  };
}
