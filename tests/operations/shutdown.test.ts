/**
 * SIGTERM on the embedded default: a gateway process on its own PGlite audit
 * database (DATA_DIR), requests held in flight by a slow agency. It stops
 * taking connections, answers the requests it has, commits their audit
 * records, and exits 0 before the 10 s after which it would be SIGKILLed.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { startChild, type ServiceChild } from "../../scripts/childProcesses.ts";
import { startDelayingProxy, type DelayingProxy } from "../support/startDelayingProxy.ts";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const QUERY = `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`;
// Granted on the gateway process's own database, through its governance API.
const APP = { app: "app:ops-shutdown", purpose: "SHUTDOWN_TEST" };
const IN_FLIGHT = 6;

let system: System;
let slowHousingFund: DelayingProxy;
let dataDir: string;
let gateway: ServiceChild;
let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
let token: string;

beforeAll(async () => {
  system = await startSystem({ suite: "ops-shutdown" });
  slowHousingFund = await startDelayingProxy(system.subgraphs.get("housing-fund")!.url);
  dataDir = mkdtempSync(join(tmpdir(), "gateway-shutdown-"));
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The embedded default: no PostgreSQL anywhere, the audit log in PGlite under DATA_DIR.
  for (const name of Object.keys(env)) if (name === "DATABASE_URL" || name.endsWith("_DATABASE_URL") || name.endsWith("_SUBGRAPH_URL") || name === "REDIS_URL") delete env[name];
  Object.assign(env, {
    DATA_DIR: dataDir,
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    LOG_LEVEL: "warn",
    JWKS: system.keys.issuerJwks,
    GATEWAY_SIGNING_KEY: system.keys.gatewayPrivate,
    RECEIPT_SIGNING_KEY: system.keys.receiptPrivate,
    AUDIT_PSEUDONYM_KEY: system.keys.auditPseudonymKey,
  });
  for (const [name, subgraph] of system.subgraphs) {
    env[`${name.toUpperCase().replace(/-/g, "_")}_SUBGRAPH_URL`] = name === "housing-fund" ? slowHousingFund.url : subgraph.url;
  }
  gateway = await startChild({ name: "gateway", entry: "gateway/main.ts", env, startTimeoutMs: 300_000, onExit: (code, signal) => (exit = { code, signal }) });
  await grantTestApps({ gatewayUrl: gateway.url, issuerKey: system.issuerKey }, [APP]);
  token = await signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: APP.app, scopes: ["civil-affairs:identity", "housing-fund:account", "housing-fund:balance"], purpose: APP.purpose });
}, 400_000);

afterAll(async () => {
  await gateway?.stop(2000).catch(() => {});
  await slowHousingFund?.stop();
  await system?.stop();
});

async function post(): Promise<{ status: number; requestId: string | null; balance: unknown; body: unknown }> {
  const response = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await response.json()) as { data?: { citizen?: { housingFundAccount?: { balance?: unknown } } } };
  return { status: response.status, requestId: response.headers.get("x-request-id"), balance: body.data?.citizen?.housingFundAccount?.balance, body };
}

describe("SIGTERM on the embedded default", () => {
  it("answers the requests in flight, commits their audit records and exits 0 within 10 s", async () => {
    const before = await post();
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.balance, JSON.stringify(before.body)).toMatch(/^\d+\.\d\d$/);

    slowHousingFund.delayMs = 1500;
    const received = slowHousingFund.received();
    const inFlight = Array.from({ length: IN_FLIGHT }, () => post().catch((error: Error) => ({ status: 0, requestId: null, balance: undefined, body: error.message })));
    // Every one has reached the agency: the gateway is in the middle of all of them.
    await expect.poll(() => slowHousingFund.received() - received, { timeout: 30_000 }).toBe(IN_FLIGHT);

    await gateway.stop(10_000); // SIGTERM; SIGKILL only once 10 s have passed
    expect(exit).toEqual({ code: 0, signal: null });
    const answered = await Promise.all(inFlight);
    for (const result of answered) {
      expect(result.status).toBe(200);
      expect(result.balance).toMatch(/^\d+\.\d\d$/);
    }
    // New connections are refused once it has stopped.
    await expect(post()).rejects.toThrow();

    // The audit log was flushed before exit: every answered request has its record.
    const database = new PGlite(join(dataDir, "gateway"));
    try {
      const ids = answered.map((result) => result.requestId!);
      const found = await database.query<{ request_id: string; data_released: boolean }>("SELECT request_id, data_released FROM audit_record WHERE request_id = ANY($1)", [ids]);
      expect(found.rows.map((row) => row.request_id).sort()).toEqual([...ids].sort());
      expect(found.rows.every((row) => row.data_released)).toBe(true);
    } finally {
      await database.close();
    }
  }, 120_000);
});
