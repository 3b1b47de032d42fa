/**
 * Browser apps on another origin (CORS allow-list) and GET queries under
 * CSRF prevention, over HTTP against the real gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGatewayConfig } from "../../gateway/config.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const APP_ORIGIN = "http://app.localhost:5173";
const OTHER_ORIGIN = "http://evil.localhost:5173";
const LI_WEI = "140105198605150031";

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "browser-apps", gateway: { corsOrigins: [APP_ORIGIN] } });
});

afterAll(async () => {
  await system?.stop();
});

const preflight = (origin: string) =>
  fetch(system.gatewayUrl, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });

describe("CORS", () => {
  it("answers an allowed origin's preflight without a token, naming that origin and the headers it may send", async () => {
    const response = await preflight(APP_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = response.headers.get("access-control-allow-headers")!.split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "apollo-require-preflight"]));
    expect(response.headers.get("vary")).toMatch(/Origin/);
  });

  it("gives another origin's preflight no CORS headers (its browser blocks the call), and never a 401", async () => {
    const response = await preflight(OTHER_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("lets the allowed origin read answers and refusals alike", async () => {
    const answer = await fetch(system.gatewayUrl, {
      method: "POST",
      headers: { origin: APP_ORIGIN, authorization: `Bearer ${system.allScopesToken}`, "content-type": "application/json" },
      body: JSON.stringify({ query: `{ citizen(id: "${LI_WEI}") { name } }` }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(((await answer.json()) as any).data.citizen.name).toBe("李伟");

    const refused = await fetch(system.gatewayUrl, {
      method: "POST",
      headers: { origin: APP_ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
  });

  it("never answers with a wildcard origin", async () => {
    for (const origin of [APP_ORIGIN, OTHER_ORIGIN, "null"]) {
      const response = await fetch(system.gatewayUrl, {
        method: "POST",
        headers: { origin, authorization: `Bearer ${system.allScopesToken}`, "content-type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(response.headers.get("access-control-allow-origin")).not.toBe("*");
    }
  });

  it("refuses a wildcard or a path in CORS_ORIGINS at start, naming the variable", () => {
    expect(() => readGatewayConfig({ CORS_ORIGINS: "*" })).toThrow(/CORS_ORIGINS/);
    expect(() => readGatewayConfig({ CORS_ORIGINS: `${APP_ORIGIN}, https://x.gov.cn/app` })).toThrow(/CORS_ORIGINS/);
    expect(readGatewayConfig({ CORS_ORIGINS: `${APP_ORIGIN}, https://x.gov.cn` }).corsOrigins).toEqual([APP_ORIGIN, "https://x.gov.cn"]);
  });
});

describe("CSRF prevention", () => {
  const get = (headers: Record<string, string>) =>
    fetch(`${system.gatewayUrl}?${new URLSearchParams({ query: `{ citizen(id: "${LI_WEI}") { name } }` })}`, {
      headers: { authorization: `Bearer ${system.allScopesToken}`, ...headers },
    });

  it("refuses a simple GET with a message that names the headers to add, whole", async () => {
    const response = await get({});
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe("BAD_REQUEST");
    expect(body.errors[0].message).toContain("apollo-require-preflight");
    expect(body.errors[0].message).toContain("x-apollo-operation-name");
    expect(body.errors[0].message).not.toMatch(/…$/);
  });

  it("answers a GET that carries a preflight-forcing header", async () => {
    for (const headers of [{ "apollo-require-preflight": "true" }, { "x-apollo-operation-name": "Name" }] as Record<string, string>[]) {
      const response = await get(headers);
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).data.citizen.name).toBe("李伟");
    }
  });
});
