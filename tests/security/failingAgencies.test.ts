/**
 * Failing agencies: one down (its process not running), one hanging (accepts
 * and never answers), one flooding (an answer that never ends). Each costs only its own fields — null with
 * SUBGRAPH_UNAVAILABLE at their paths — the rest arrives, the answer comes
 * within the subgraph timeout, and after repeated failures the circuit
 * breaker stops waiting for the hanging agency at all.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../gateway/createGateway.ts";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";
import type { GatewayConfig } from "../../gateway/config.ts";
import { LI_WEI, codeAt, leaksOf, send, startExtraGateway, startFloodingAgency, startHangingAgency, token, type HttpResult } from "./support/hostile.ts";

const EVERY_AGENCY = `query($id: ID!) { citizen(id: $id) {
  name spouse { name }
  housingFundAccount { balance }
  properties { city }
  incomeRecord(year: 2025) { totalIncome }
  creditReport { score }
  isDishonestDebtor
} }`;

// The hanging agency never answers, so any answer at all proves the deadline ended its fetch;
// the upper bounds below are loose on purpose (a loaded machine stretches every request).
const TIMEOUT_MS = 1500;
const DEADLINE_SLACK_MS = 8000;
const THRESHOLD = 3;

const FLOOD_LIMIT = 256 * 1024;

let system: System;
let hanging: Awaited<ReturnType<typeof startHangingAgency>>;
let flooding: Awaited<ReturnType<typeof startFloodingAgency>>;
let hangGateway: RunningGateway;
let floodGateway: RunningGateway;
let all: string;

/**
 * A second gateway over the system's agencies, with its own database: the
 * app's grant is made there first, through its API, by the same gateway
 * with ordinary settings (the `overrides` are what a suite is about).
 */
async function grantedGateway(overrides: Partial<GatewayConfig>): Promise<RunningGateway> {
  const gatewayDir = mkdtempSync(join(tmpdir(), "failing-agencies-"));
  const granting = await startExtraGateway(system, { auditDatabase: { kind: "pglite", dataDir: gatewayDir } });
  try {
    await grantTestApps({ gatewayUrl: granting.url, issuerKey: system.issuerKey }, [{ app: "app:hostile-input", purpose: "SECURITY_TEST" }]);
  } finally {
    await granting.stop();
  }
  return startExtraGateway(system, { auditDatabase: { kind: "pglite", dataDir: gatewayDir }, ...overrides });
}

beforeAll(async () => {
  system = await startSystem({ suite: "security-failing", withoutAgencies: ["credit"] });
  hanging = await startHangingAgency();
  flooding = await startFloodingAgency();
  hangGateway = await grantedGateway({
    subgraphUrls: { tax: hanging.url, credit: "http://127.0.0.1:9/graphql" },
    subgraphTimeoutMs: TIMEOUT_MS,
    circuitFailureThreshold: THRESHOLD,
    circuitResetMs: 60_000,
  });
  // A long deadline: what ends the flooded fetch must be the size limit.
  floodGateway = await grantedGateway({ subgraphUrls: { tax: flooding.url }, subgraphTimeoutMs: 60_000, subgraphMaxResponseBytes: FLOOD_LIMIT });
  all = await token(system);
});

afterAll(async () => {
  await floodGateway?.stop();
  await hangGateway?.stop();
  await flooding?.stop();
  await hanging?.stop();
  await system?.stop();
});

function expectNoLeak(result: HttpResult, ...secrets: string[]): void {
  const addresses = [...system.subgraphs.values()].map((s) => new URL(s.url).host);
  for (const error of result.body.errors ?? []) expect(leaksOf(error, [...addresses, ...secrets, "127.0.0.1:9"])).toEqual([]);
}

describe("an agency down (credit not running)", () => {
  it("credit's fields are null with SUBGRAPH_UNAVAILABLE; the other agencies' data arrives, promptly", async () => {
    const r = await send(system.gatewayUrl, EVERY_AGENCY, { token: all, variables: { id: LI_WEI } });
    expect(r.status).toBe(200);
    const c = r.body.data.citizen;
    expect(c).toMatchObject({ name: "李伟", spouse: { name: "王芳" }, housingFundAccount: { balance: "86400.00" }, incomeRecord: { totalIncome: "186000.00" } });
    expect(c.properties.length).toBeGreaterThan(0);
    expect(c.creditReport).toBeNull();
    expect(c.isDishonestDebtor).toBeNull();
    expect(codeAt(r, ["citizen", "creditReport"])).toBe("SUBGRAPH_UNAVAILABLE");
    expect(codeAt(r, ["citizen", "isDishonestDebtor"])).toBe("SUBGRAPH_UNAVAILABLE");
    expect((r.body.errors ?? []).every((e) => e.extensions?.code === "SUBGRAPH_UNAVAILABLE")).toBe(true);
    expect(r.ms).toBeLessThan(DEADLINE_SLACK_MS); // a refused connection is not waited for
    expectNoLeak(r);
  });

  it("a query of credit only answers null + SUBGRAPH_UNAVAILABLE, not an HTTP error", async () => {
    const r = await send(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name creditReport { score rating } } }`, { token: all });
    expect(r.status).toBe(200);
    expect(r.body.data.citizen.name).toBe("李伟");
    expect(r.body.data.citizen.creditReport).toBeNull();
    expect(codeAt(r, ["citizen", "creditReport"])).toBe("SUBGRAPH_UNAVAILABLE");
    expectNoLeak(r);
  });
});

describe("an agency hanging (tax accepts and never answers)", () => {
  it("tax's fields are null with SUBGRAPH_UNAVAILABLE and the answer arrives once the deadline passes", async () => {
    const r = await send(hangGateway.url, EVERY_AGENCY, { token: all, variables: { id: LI_WEI } });
    expect(r.status).toBe(200);
    const c = r.body.data.citizen;
    expect(c).toMatchObject({ name: "李伟", spouse: { name: "王芳" }, housingFundAccount: { balance: "86400.00" } });
    expect(c.incomeRecord).toBeNull();
    expect(codeAt(r, ["citizen", "incomeRecord"])).toBe("SUBGRAPH_UNAVAILABLE");
    expect(c.creditReport).toBeNull();
    expect(codeAt(r, ["citizen", "creditReport"])).toBe("SUBGRAPH_UNAVAILABLE");
    expect(r.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(hanging.requests()).toBeGreaterThan(0);
    expectNoLeak(r, new URL(hanging.url).host);
  });

  it("concurrent requests all come back within the timeout", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => send(hangGateway.url, `{ citizen(id: "${LI_WEI}") { name incomeRecord(year: 2025) { taxPaid } } }`, { token: all })),
    );
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.data.citizen.name).toBe("李伟");
      expect(r.body.data.citizen.incomeRecord).toBeNull();
      expect(codeAt(r, ["citizen", "incomeRecord"])).toBe("SUBGRAPH_UNAVAILABLE");
      expect(r.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    }
  });

  it(`after ${THRESHOLD} failures the circuit opens: the hanging agency is no longer waited for`, async () => {
    // The earlier cases already failed tax more than THRESHOLD times; one more to be sure.
    await send(hangGateway.url, `{ citizen(id: "${LI_WEI}") { incomeRecord(year: 2025) { taxPaid } } }`, { token: all });
    const before = hanging.requests();
    const r = await send(hangGateway.url, `{ citizen(id: "${LI_WEI}") { name incomeRecord(year: 2025) { taxPaid } } }`, { token: all });
    expect(r.status).toBe(200);
    expect(r.body.data.citizen.name).toBe("李伟");
    expect(codeAt(r, ["citizen", "incomeRecord"])).toBe("SUBGRAPH_UNAVAILABLE");
    expect(hanging.requests()).toBe(before);
    expectNoLeak(r, new URL(hanging.url).host);
  });

  it("agencies that answer are unaffected by the open circuit", async () => {
    const r = await send(hangGateway.url, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } properties { city } } }`, { token: all });
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.citizen.housingFundAccount.balance).toBe("86400.00");
  });

  it("every failed request is still audited, with the agencies it called", async () => {
    const rows = await hangGateway.audit.database.prisma.auditRecord.findMany();
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.some((row) => row.errorCodes.includes("SUBGRAPH_UNAVAILABLE"))).toBe(true);
  });
});

describe("an agency flooding its answer (tax sends a body that never ends)", () => {
  it("the gateway stops reading at its limit: tax's fields are SUBGRAPH_UNAVAILABLE, the rest arrives", async () => {
    const r = await send(floodGateway.url, EVERY_AGENCY, { token: all, variables: { id: LI_WEI } });
    expect(r.status).toBe(200);
    const c = r.body.data.citizen;
    expect(c).toMatchObject({ name: "李伟", spouse: { name: "王芳" }, housingFundAccount: { balance: "86400.00" } });
    expect(c.incomeRecord).toBeNull();
    expect(codeAt(r, ["citizen", "incomeRecord"])).toBe("SUBGRAPH_UNAVAILABLE");
    expectNoLeak(r, new URL(flooding.url).host);
    // The gateway closed the connection instead of reading on: the agency wrote little more than the limit
    // (what was in flight in the socket buffers), not the minute's worth the deadline would have allowed.
    await expect.poll(() => flooding.closed()).toBeGreaterThan(0);
    expect(flooding.bytesWritten()).toBeLessThan(FLOOD_LIMIT + 8 * 1_048_576);
  });

  it("the gateway keeps serving after a flood", async () => {
    const r = await send(floodGateway.url, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`, { token: all });
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.citizen.housingFundAccount.balance).toBe("86400.00");
  });
});
