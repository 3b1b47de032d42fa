/**
 * Issue 9, item 2: every request leaves exactly one audit record, naming
 * every citizen it touched: refusals before the GraphQL pipeline (CSRF, a
 * batch, GET without the preflight header, PUT, a non-string operationName,
 * headers over the size limit, a 401 at the audit subgraph), citizens named by
 * variables, list elements and default values, and citizen binding on the
 * audit log itself.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem, type System } from "../support/startSystem.ts";
import { LI_WEI, WANG_FANG, codes, send, token } from "./support/hostile.ts";
import { lastSeq, recordsAfter, recordsOfToken } from "./support/records.ts";

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "security-recorded" });
});

afterAll(async () => {
  await system?.stop();
});

const QUERY = `{ citizen(id: "${LI_WEI}") { name } }`;

/** Sends with a fresh token; returns the answer and the token's records (exactly one expected). */
async function sendRecorded(options: Parameters<typeof send>[2] & { query?: string }) {
  const fresh = await token(system, { subject: "app:recorded" });
  const result = await send(system.gatewayUrl, options.query, { token: fresh, ...options });
  return { result, records: await recordsOfToken(system, fresh) };
}

describe("refusals before the GraphQL pipeline leave one record each (issue 9, item 2)", () => {
  it("a text/plain POST (CSRF prevention)", async () => {
    const { result, records } = await sendRecorded({ body: JSON.stringify({ query: QUERY }), headers: { "content-type": "text/plain" } });
    expect(result.status).toBe(400);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ app: "app:recorded", outcome: "REJECTED", dataReleased: false, errorCodes: ["BAD_REQUEST"] });
  });

  it("a JSON array (batching refused)", async () => {
    const { result, records } = await sendRecorded({ body: JSON.stringify([{ query: QUERY }, { query: QUERY }]) });
    expect(result.status).toBe(400);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "REJECTED", dataReleased: false });
  });

  it("a GET without the preflight header", async () => {
    const { result, records } = await sendRecorded({ method: "GET", search: { query: QUERY } });
    expect(result.status).toBe(400);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "REJECTED", dataReleased: false });
  });

  it("PUT /graphql is 405 with Allow", async () => {
    // Refused before the token is read: the record names no app.
    const before = await lastSeq(system);
    const result = await send(system.gatewayUrl, undefined, { method: "PUT", token: await token(system), body: JSON.stringify({ query: QUERY }) });
    const records = await recordsAfter(system, before);
    expect(result.status).toBe(405);
    expect(result.headers.get("allow")).toBe("GET, POST");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "REJECTED", dataReleased: false });
  });

  it('"operationName": 1', async () => {
    const { result, records } = await sendRecorded({ body: JSON.stringify({ query: QUERY, operationName: 1 }) });
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(["BAD_REQUEST"]);
    expect(records).toHaveLength(1);
  });

  it("a header over the size limit is 431 in JSON and leaves one record", async () => {
    const before = await lastSeq(system);
    const url = new URL(system.gatewayUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      let received = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk) => (received += chunk));
      socket.on("error", reject);
      socket.on("close", () => resolve(received));
      socket.write(`POST /graphql HTTP/1.1\r\nhost: ${url.host}\r\nx-padding: ${"a".repeat(64 * 1024)}\r\ncontent-length: 2\r\n\r\n{}`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toContain('"REQUEST_HEADER_FIELDS_TOO_LARGE"');
    const records = await recordsAfter(system, before);
    expect(records, JSON.stringify(records.map((r) => [r.app, r.errorCodes, r.outcome]))).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "REJECTED", errorCodes: ["REQUEST_HEADER_FIELDS_TOO_LARGE"], dataReleased: false });
  });

  it("a 401 on /subgraphs/audit/graphql (no gateway token)", async () => {
    const before = await lastSeq(system);
    const auditUrl = new URL("/subgraphs/audit/graphql", system.gatewayUrl).toString();
    const result = await send(auditUrl, "{ auditChain { ok } }", { token: await token(system, { scopes: ["audit:read"] }) });
    expect(result.status).toBe(401);
    const records = await recordsAfter(system, before);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "UNAUTHENTICATED", dataReleased: false, errorCodes: ["UNAUTHENTICATED"] });
  });

  it("a request that runs still leaves exactly one record", async () => {
    const { result, records } = await sendRecorded({ query: QUERY });
    expect(result.status).toBe(200);
    expect(records, JSON.stringify(records.map((r) => [r.app, r.errorCodes, r.outcome]))).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "ALLOWED", dataReleased: true });
  });
});

describe("the citizens of a record are every id the operation names (issue 9, item 2)", () => {
  const pseudonymOf = (id: string) => system.gateway.audit.pseudonymize(id);

  it("an id given as a variable inside a list", async () => {
    const { result, records } = await sendRecorded({ query: "query E($a: ID!) { citizens(ids: [$a]) { __typename } }", variables: { a: LI_WEI } });
    expect(result.body.data.citizens).toEqual([{ __typename: "Citizen" }]);
    expect(records[0]!.citizens).toEqual([pseudonymOf(LI_WEI)]);
  });

  it("an id given as a variable's default value", async () => {
    const { records } = await sendRecorded({ query: `query E($a: ID! = "${WANG_FANG}") { citizen(id: $a) { __typename } }` });
    expect(records[0]!.citizens).toEqual([pseudonymOf(WANG_FANG)]);
  });

  it("a list variable and a literal together", async () => {
    const { records } = await sendRecorded({
      query: `query E($ids: [ID!]!) { a: citizens(ids: $ids) { __typename } b: citizen(id: "${WANG_FANG}") { __typename } }`,
      variables: { ids: [LI_WEI] },
    });
    expect([...records[0]!.citizens].sort()).toEqual([pseudonymOf(LI_WEI), pseudonymOf(WANG_FANG)].sort());
  });

  it("the lookup by variable is in the citizen's own access log", async () => {
    const app = await token(system, { subject: "app:lookup-by-variable" });
    await send(system.gatewayUrl, "query E($a: ID!) { citizens(ids: [$a]) { __typename } }", { token: app, variables: { a: LI_WEI } });
    const self = await token(system, { subject: "app:citizen-self", scopes: ["self:access-log"], citizens: [LI_WEI] });
    const log = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { accessLog(first: 100) { app } } }`, { token: self });
    expect(log.body.errors).toBeUndefined();
    expect(log.body.data.citizen.accessLog.map((entry: { app: string }) => entry.app)).toContain("app:lookup-by-variable");
  });
});

describe("citizen binding on the audit log (issue 9, item 2)", () => {
  it("a token bound to 李伟 with audit:read sees only records naming him, and no one else's", async () => {
    // Records of both citizens exist.
    await send(system.gatewayUrl, `{ citizen(id: "${WANG_FANG}") { name } }`, { token: await token(system) });
    await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name } }`, { token: await token(system) });
    const bound = await token(system, { subject: "app:bound-auditor", scopes: ["audit:read"], citizens: [LI_WEI] });
    const mine = system.gateway.audit.pseudonymize(LI_WEI);

    const all = await send(system.gatewayUrl, "{ auditRecords(first: 500) { records { citizenPseudonyms } } }", { token: bound });
    expect(all.body.errors).toBeUndefined();
    const records = all.body.data.auditRecords.records as Array<{ citizenPseudonyms: string[] }>;
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record.citizenPseudonyms).toContain(mine);

    const other = await send(system.gatewayUrl, `{ auditRecords(filter: { citizen: "${WANG_FANG}" }) { records { seq } } }`, { token: bound });
    expect(other.body.data?.auditRecords ?? null).toBeNull();
    expect(other.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", reason: "CITIZEN_NOT_BOUND" });

    const summary = await send(system.gatewayUrl, "{ auditSummary { since } }", { token: bound });
    expect(summary.body.data?.auditSummary ?? null).toBeNull();
    expect(codes(summary)).toContain("FORBIDDEN");
  });

  it("an unbound auditor still sees every citizen's records", async () => {
    const auditor = await token(system, { subject: "app:auditor", scopes: ["audit:read"] });
    const result = await send(system.gatewayUrl, `{ auditRecords(filter: { citizen: "${WANG_FANG}" }) { records { seq } } }`, { token: auditor });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.auditRecords.records.length).toBeGreaterThan(0);
  });
});
