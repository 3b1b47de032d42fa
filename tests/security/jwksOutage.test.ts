/**
 * The identity provider's JWKS endpoint goes down: tokens signed with keys
 * the gateway has already fetched keep verifying; a token with an unknown key
 * is still refused.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL } from "../support/graphql.ts";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";

describe("JWKS endpoint outage", () => {
  let jwksServer: Server;
  let jwksUrl: string;
  let system: System;
  let fetches = 0;

  beforeAll(async () => {
    // Serves the dev issuer's public keys, written by startSystem; the path is known only after it starts,
    // so the server reads it per request.
    let jwksPath = "";
    jwksServer = createServer((_request, response) => {
      fetches++;
      response.setHeader("content-type", "application/json");
      response.end(readFileSync(jwksPath));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    system = await startSystem({ suite: "jwks-outage", withoutAgencies: ["housing-fund", "real-estate", "tax", "credit"], gateway: { jwks: jwksUrl }, grants: [] });
    jwksPath = system.keys.issuerJwks;
    // Once the keys are served: the app's grant, through the governance API (the first key fetch).
    await grantTestApps(system, [{ app: "app:jwks-outage", purpose: "TEST" }]);
  });

  afterAll(async () => {
    await system?.stop();
    if (jwksServer.listening) await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  });

  const tokenFor = (scopes: string[]) =>
    signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: "app:jwks-outage", scopes, purpose: "TEST" });
  const query = `{ citizen(id: "140105198605150031") { name } }`;

  it("fetches the keys once and verifies with them", async () => {
    const result = await postGraphQL(system.gatewayUrl, query, {}, { authorization: `Bearer ${await tokenFor(["civil-affairs:identity"])}` });
    expect(result.status).toBe(200);
    expect(result.body.data.citizen.name).toBe("李伟");
    expect(fetches).toBe(1);
  });

  it("keeps verifying new tokens with the cached keys while the endpoint is down", async () => {
    jwksServer.closeAllConnections();
    await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
    // A token the gateway has never seen (a different scope set), so it must be verified anew.
    const result = await postGraphQL(system.gatewayUrl, query, {}, { authorization: `Bearer ${await tokenFor(["civil-affairs:identity", "tax:verify"])}` });
    expect(result.status).toBe(200);
    expect(result.body.data.citizen.name).toBe("李伟");
  });

  it("still refuses a token signed with a key it does not know", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const kid = "rotated-key";
    const stranger = await signDevToken({
      key: { key: privateKey, kid, alg: "ES256" },
      issuer: DEV_TOKEN_ISSUER,
      audience: DEFAULT_TOKEN_AUDIENCE,
      subject: "app:jwks-outage",
      scopes: ["civil-affairs:identity"],
      purpose: "TEST",
    });
    const result = await postGraphQL(system.gatewayUrl, query, {}, { authorization: `Bearer ${stranger}` });
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(result.body.data).toBeUndefined();
  });
});
