/**
 * Issue 9, item 4: a client's mistake is answered 4xx with one error and the
 * GraphQL-over-HTTP code, never HTTP 500; both `application/json` and
 * `application/graphql-response+json` are served; and graphql-http's own
 * audit of the spec passes against the running gateway.
 */
import { auditServer } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem, type System } from "../support/startSystem.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";
import { INTROSPECT, LI_WEI, codes, send, token, type HttpResult } from "./support/hostile.ts";

let system: System;
let all: string;

beforeAll(async () => {
  system = await startSystem({ suite: "security-mistakes" });
  all = await token(system, { subject: "app:client-mistakes" });
});

afterAll(async () => {
  await system?.stop();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  send(system.gatewayUrl, undefined, { token: all, body: JSON.stringify(body), headers });

function expectOneError(result: HttpResult, status: number, code: string): void {
  expect(result.status, result.text.slice(0, 300)).toBe(status);
  expect(result.body.errors).toHaveLength(1);
  expect(codes(result)).toEqual([code]);
  expect(result.body.data ?? null).toBeNull();
}

describe("client mistakes are 4xx with the spec's codes (issue 9, item 4)", () => {
  it("a syntax error is 400 GRAPHQL_PARSE_FAILED", async () => {
    expectOneError(await post({ query: "{" }), 400, "GRAPHQL_PARSE_FAILED");
  });

  it("a mutation on this graph's schema, if it has no such field, is 400 GRAPHQL_VALIDATION_FAILED", async () => {
    expectOneError(await post({ query: "mutation { noSuchMutation }" }), 400, "GRAPHQL_VALIDATION_FAILED");
  });

  it("a subscription on this read-only graph is 400 GRAPHQL_VALIDATION_FAILED", async () => {
    expectOneError(await post({ query: "subscription { noSuchSubscription }" }), 400, "GRAPHQL_VALIDATION_FAILED");
  });

  it("a mutation over GET is 405 with Allow: POST", async () => {
    const result = await send(system.gatewayUrl, undefined, {
      method: "GET",
      token: all,
      search: { query: "mutation { noSuchMutation }" },
      headers: { "apollo-require-preflight": "true" },
    });
    expect(result.status).toBe(405);
    expect(result.headers.get("allow")).toBe("POST");
    expect(result.body.errors).toHaveLength(1);
  });

  it("two operations without operationName are 400 OPERATION_RESOLUTION_FAILURE", async () => {
    expectOneError(await post({ query: "query A { __typename } query B { __typename }" }), 400, "OPERATION_RESOLUTION_FAILURE");
  });

  it("an unknown operationName is 400 OPERATION_RESOLUTION_FAILURE", async () => {
    expectOneError(await post({ query: "query A { __typename }", operationName: "Z" }), 400, "OPERATION_RESOLUTION_FAILURE");
  });

  it('operationName "" is 400 OPERATION_RESOLUTION_FAILURE', async () => {
    expectOneError(await post({ query: "query A { __typename }", operationName: "" }), 400, "OPERATION_RESOLUTION_FAILURE");
  });

  it("operationName 1 is 400 BAD_REQUEST", async () => {
    expectOneError(await post({ query: "query A { __typename }", operationName: 1 }), 400, "BAD_REQUEST");
  });

  it("an unknown field is 400 GRAPHQL_VALIDATION_FAILED with one error", async () => {
    expectOneError(await post({ query: `{ citizen(id: "${LI_WEI}") { a b c d } }` }), 400, "GRAPHQL_VALIDATION_FAILED");
  });

  it("a named operation among several is chosen by operationName and answers", async () => {
    const result = await post({ query: `query A { __typename } query B { citizen(id: "${LI_WEI}") { name } }`, operationName: "B" });
    expect(result.status).toBe(200);
    expect(result.body.data.citizen.name).toBe("李伟");
  });

  it("Accept: application/graphql-response+json is answered in that media type; a mistake is still 400", async () => {
    const ok = await post({ query: `{ citizen(id: "${LI_WEI}") { name } }` }, { accept: "application/graphql-response+json" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^application\/graphql-response\+json/);
    expect(ok.body.data.citizen.name).toBe("李伟");
    const bad = await post({ query: "{" }, { accept: "application/graphql-response+json" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toMatch(/^application\/graphql-response\+json/);
  });

  it("Accept: application/json is answered in application/json", async () => {
    const ok = await post({ query: "{ __typename }" }, { accept: "application/json" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("Accept: */* is answered in application/json; an Accept of nothing served is 406", async () => {
    const ok = await post({ query: `{ citizen(id: "${LI_WEI}") { name } }` }, { accept: "*/*" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(ok.body.data.citizen.name).toBe("李伟");
    const refused = await post({ query: "{ __typename }" }, { accept: "text/plain" });
    expect(refused.status).toBe(406);
  });
});

describe("graphql-http's server audit against the running gateway (issue 9, item 4)", () => {
  it("has no error and only the warnings explained in the README", async () => {
    const developer = await token(system, { scopes: [...STANDARD_SCOPES, INTROSPECT], subject: "app:graphql-http-audit" });
    const results = await auditServer({
      url: system.gatewayUrl,
      fetchFn: (input: RequestInfo | URL, init: RequestInit = {}) => {
        const headers = new Headers(init.headers);
        headers.set("authorization", `Bearer ${developer}`);
        return fetch(input, { ...init, headers });
      },
    });
    const errors = results.filter((r) => r.status === "error").map((r) => `${r.name}: ${"reason" in r ? r.reason : ""}`);
    const warnings = results.filter((r) => r.status === "warn").map((r) => r.name);
    expect(errors).toEqual([]);
    // Each one is explained in README.md (Hardening → GraphQL over HTTP).
    expect(warnings.sort()).toEqual(EXPLAINED_WARNINGS.sort());
  });
});

/**
 * The spec prefers HTTP 200 for these under `Accept: application/json` (for
 * legacy clients); this gateway answers 400 for every client mistake whatever
 * the media type, as issue 9 asks, so that no mistake looks like a success.
 */
const EXPLAINED_WARNINGS: string[] = [
  "SHOULD use 200 status code on document parsing failure when accepting application/json",
  "SHOULD use 200 status code on document validation failure when accepting application/json",
  "SHOULD use a status code of 200 on variable coercion failure when accepting application/json",
];
