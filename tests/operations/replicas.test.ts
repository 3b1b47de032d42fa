/**
 * Two gateway processes on one PostgreSQL database and one Redis, behind
 * Debian's nginx configured from deploy/nginx/gateway.conf.template, under
 * load; one replica is killed with SIGKILL in the middle. Every response that
 * carried data has its audit record, the one chain both replicas wrote
 * verifies with `npm run audit -- verify`, one app's rate limit holds across
 * both replicas, nginx keeps serving from the survivor, and the survivor
 * drains on SIGTERM: in-flight requests answered, audit flushed, exit 0
 * before the SIGKILL that would follow 10 s later.
 *
 * It needs PostgreSQL (DATABASE_URL: `.ci/run` runs it in its PostgreSQL
 * pass), Redis (REDIS_URL, default 127.0.0.1:6379) and nginx (`.ci/run`
 * installs nginx-light); it is skipped, saying why, without DATABASE_URL or nginx.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { REPO_ROOT, startChild, type ServiceChild } from "../../scripts/childProcesses.ts";
import { NGINX_BINARY, startNginx, type RunningNginx } from "../../scripts/startNginx.ts";
import { listening } from "../security/support/hostile.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";
import { startDelayingProxy, type DelayingProxy } from "../support/startDelayingProxy.ts";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";

const SERVER = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE = `${process.env.TEST_DB_PREFIX ?? "test"}_ops_replicas_shared`;
const LI_WEI = "140105198605150031";
const QUERY = `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } incomeRecord(year: 2025) { totalIncome } } }`;
const PURPOSE = "REPLICA_TEST";
// Unique per run: Redis is shared, and rate-limit buckets are keyed by app. Both are granted
// through the replicas' governance API, on their one database (see tests/support/testGrants.ts).
const LOAD_APP = `app:ops-replicas-${randomUUID().slice(0, 8)}`;
const LIMITED_APP = `app:ops-limited-${randomUUID().slice(0, 8)}`;
const LIMIT = { perSecond: 1, burst: 6 };

const skipReason = !SERVER
  ? "needs PostgreSQL: set DATABASE_URL (the PostgreSQL pass of .ci/run does)"
  : !NGINX_BINARY
    ? "needs Debian's nginx: apt-get install -y nginx-light (.ci/run does it)"
    : undefined;
if (skipReason) console.warn(`tests/operations/replicas.test.ts skipped: ${skipReason}`);

let system: System;
let slowHousingFund: DelayingProxy;
let workDir: string;
let replicas: ServiceChild[] = [];
const exits = new Map<string, { code: number | null; signal: NodeJS.Signals | null }>();
let nginx: RunningNginx | undefined;
let nginxUrl: string;
let replicaEnv: NodeJS.ProcessEnv;
let loadToken: string;
let limitedToken: string;

function startReplica(name: string): Promise<ServiceChild> {
  return startChild({ name, entry: "gateway/main.ts", env: replicaEnv, startTimeoutMs: 300_000, onExit: (code, signal) => exits.set(name, { code, signal }) });
}

interface Result {
  status: number;
  requestId: string | null;
  hasData: boolean;
}

async function post(url: string, token: string): Promise<Result> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: { citizen?: { housingFundAccount?: unknown } } };
    return { status: response.status, requestId: response.headers.get("x-request-id"), hasData: Boolean(body.data?.citizen?.housingFundAccount) };
  } catch {
    return { status: 0, requestId: null, hasData: false };
  }
}

async function auditedWithData(requestIds: string[]): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: withDatabaseName(SERVER!, DATABASE) });
  await client.connect();
  try {
    const found = await client.query<{ request_id: string }>("SELECT request_id FROM audit_record WHERE request_id = ANY($1) AND data_released", [requestIds]);
    return new Set(found.rows.map((row) => row.request_id));
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  if (skipReason) return;
  if (!(await listening(new URL(REDIS_URL).hostname, Number(new URL(REDIS_URL).port || 6379)))) throw new Error(`the replicas share rate limits through Redis, and nothing listens at ${REDIS_URL}`);
  system = await startSystem({ suite: "ops-replicas" });
  slowHousingFund = await startDelayingProxy(system.subgraphs.get("housing-fund")!.url);
  workDir = mkdtempSync(join(tmpdir(), "gateway-replicas-"));
  const admin = new pg.Client({ connectionString: withDatabaseName(SERVER!, "postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await admin.end();
  writeFileSync(join(workDir, "apps.json"), JSON.stringify({ apps: { [LIMITED_APP]: { rateLimit: LIMIT } } }));
  replicaEnv = {
    ...process.env,
    // The system's keys (issuer, gateway, receipts, pseudonyms) are under its work folder.
    DATA_DIR: system.workDir,
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    // The level the first draft of this test hung under: the ready line must show anyway.
    LOG_LEVEL: "warn",
    GATEWAY_DATABASE_URL: withDatabaseName(SERVER!, DATABASE),
    REDIS_URL,
    JWKS: system.keys.issuerJwks,
    GATEWAY_SIGNING_KEY: system.keys.gatewayPrivate,
    AUDIT_PSEUDONYM_KEY: system.keys.auditPseudonymKey,
    // One file of signed heads for the one chain.
    AUDIT_HEADS: join(workDir, "audit-heads.jsonl"),
    AUDIT_HEAD_INTERVAL_MS: "500",
    APP_REGISTRY: join(workDir, "apps.json"),
    RATE_LIMIT_PER_SECOND: "100000",
    RATE_LIMIT_BURST: "100000",
  };
  for (const [name, subgraph] of system.subgraphs) {
    replicaEnv[`${name.toUpperCase().replace(/-/g, "_")}_SUBGRAPH_URL`] = name === "housing-fund" ? slowHousingFund.url : subgraph.url;
  }
  // One replica first: it creates and migrates the database; the second then finds it.
  replicas = [await startReplica("replica-1")];
  replicas.push(await startReplica("replica-2"));
  nginx = await startNginx({ upstreamPorts: replicas.map((replica) => Number(new URL(replica.url).port)), workDir: join(workDir, "nginx") });
  nginxUrl = `${nginx.origin}/graphql`;
  // Granted once, through nginx: whichever replica takes it, both read grants from the one database.
  await grantTestApps({ gatewayUrl: nginxUrl, issuerKey: system.issuerKey }, [
    { app: LOAD_APP, purpose: PURPOSE },
    { app: LIMITED_APP, purpose: PURPOSE },
  ]);
  const sign = (subject: string) =>
    signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes: STANDARD_SCOPES, purpose: PURPOSE });
  loadToken = await sign(LOAD_APP);
  limitedToken = await sign(LIMITED_APP);
}, 900_000);

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(replicas.map((replica) => replica.stop().catch(() => {})));
  await slowHousingFund?.stop();
  await system?.stop();
}, 60_000);

describe.skipIf(skipReason)("two gateway replicas on PostgreSQL and Redis behind nginx", () => {
  it("share one app's rate limit", async () => {
    const started = performance.now();
    // Half to each replica, directly, all at once.
    const results = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => ({ replica: i % 2, status: (await post(replicas[i % 2]!.url, limitedToken)).status })),
    );
    const seconds = (performance.now() - started) / 1000;
    const allowed = results.filter((r) => r.status === 200).length;
    expect(results.every((r) => r.status === 200 || r.status === 429), JSON.stringify(results)).toBe(true);
    // One bucket for both: at most its burst plus what refilled meanwhile. Two buckets would
    // allow twice that (each replica's burst, each refilling), whatever the machine's speed.
    expect(allowed).toBeGreaterThanOrEqual(LIMIT.burst);
    expect(allowed).toBeLessThanOrEqual(LIMIT.burst + Math.ceil(seconds * LIMIT.perSecond));
    expect(allowed).toBeLessThan(2 * LIMIT.burst);
    for (const replica of [0, 1]) expect(results.some((r) => r.replica === replica && r.status === 429), `replica ${replica + 1} refused`).toBe(true);
  }, 120_000);

  it("nginx keeps serving from the survivor when one is killed with SIGKILL, and every response with data has its audit record", async () => {
    const results: Array<Result & { afterKill: boolean }> = [];
    let killedAt = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const afterKill = killedAt > 0 && performance.now() - killedAt > 1000;
        results.push({ ...(await post(nginxUrl, loadToken)), afterKill });
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    while (results.length < 60) await new Promise((resolve) => setTimeout(resolve, 20));
    process.kill(replicas[0]!.pid, "SIGKILL");
    killedAt = performance.now();
    while (results.filter((r) => r.afterKill).length < 60) await new Promise((resolve) => setTimeout(resolve, 20));
    stop = true;
    await Promise.all(workers);

    await expect.poll(() => exits.get("replica-1")?.signal).toBe("SIGKILL");
    const after = results.filter((r) => r.afterKill);
    expect(after.every((r) => r.status === 200 && r.hasData), `after the kill: ${JSON.stringify(after.filter((r) => r.status !== 200).slice(0, 3))}`).toBe(true);
    // At most the requests in flight on the killed replica failed (502), and they carried no data.
    const failed = results.filter((r) => r.status !== 200);
    expect(failed.every((r) => !r.hasData)).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(6);

    const withData = results.filter((r) => r.hasData).map((r) => r.requestId!);
    expect(withData.length).toBeGreaterThanOrEqual(100);
    expect(new Set(withData).size).toBe(withData.length);
    const audited = await auditedWithData(withData);
    expect(withData.filter((id) => !audited.has(id))).toEqual([]);
  }, 300_000);

  it("the survivor answers its in-flight requests on SIGTERM, flushes their audit records and exits 0 within 10 s", async () => {
    const survivor = replicas[1]!;
    slowHousingFund.delayMs = 1500;
    const received = slowHousingFund.received();
    const inFlight = Array.from({ length: 6 }, () => post(survivor.url, loadToken));
    // Each has reached the (slow) housing-fund agency: the survivor is in the middle of all of them.
    await expect.poll(() => slowHousingFund.received() - received, { timeout: 30_000 }).toBe(6);
    await survivor.stop(10_000); // SIGTERM; SIGKILL only once 10 s have passed
    slowHousingFund.delayMs = 0;
    expect(exits.get("replica-2")).toEqual({ code: 0, signal: null });
    const answered = await Promise.all(inFlight);
    expect(answered.every((result) => result.status === 200 && result.hasData), JSON.stringify(answered)).toBe(true);
    const ids = answered.map((result) => result.requestId!);
    expect([...(await auditedWithData(ids))].sort()).toEqual([...ids].sort());
  }, 120_000);

  it("npm run audit -- verify passes on the one chain both replicas wrote", async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile("npm", ["run", "--silent", "audit", "--", "verify", "--full", "--jwks", system.keys.gatewayJwks], { cwd: REPO_ROOT, env: replicaEnv, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/audit chain verifies: \d+ records/);
    // The load's records are in that chain, those of the killed replica too.
    const client = new pg.Client({ connectionString: withDatabaseName(SERVER!, DATABASE) });
    await client.connect();
    try {
      const apps = await client.query<{ n: string }>("SELECT count(*) AS n FROM audit_record WHERE app = $1", [LOAD_APP]);
      expect(Number(apps.rows[0]!.n)).toBeGreaterThanOrEqual(106);
    } finally {
      await client.end();
    }
  }, 180_000);
});
