/**
 * PENDING (not run by vitest: no .test.ts name). Here its first gateway process printed nothing
 * and was not ready within 400 s (PostgreSQL audit database, Redis, LOG_LEVEL=warn); find why,
 * then rename to ../replicas.test.ts.
 *
 * Two gateway processes on one PostgreSQL database and one Redis, behind
 * Debian's nginx configured from deploy/nginx/gateway.conf.template, under
 * load; one replica is killed with SIGKILL in the middle. Every response that
 * carried data has its audit record, the one chain both replicas wrote
 * verifies with `npm run audit -- verify`, one app's rate limit holds across
 * both replicas, nginx keeps serving from the survivor, and the survivor
 * drains and exits 0 on SIGTERM.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../../gateway/config.ts";
import { withDatabaseName } from "../../../platform/database/databaseUrl.ts";
import { signDevToken } from "../../../platform/security/signDevToken.ts";
import { REPO_ROOT, startChild, type ServiceChild } from "../../../scripts/childProcesses.ts";
import { STANDARD_SCOPES } from "../../support/standardScopes.ts";
import { startSystem, type System } from "../../support/startSystem.ts";

const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((path) => existsSync(path));
const SERVER = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE = `${process.env.TEST_DB_PREFIX ?? "test"}_ops_replicas_gateway`;
const LI_WEI = "140105198605150031";
const QUERY = `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } incomeRecord(year: 2025) { totalIncome } } }`;
// Unique per run: Redis is shared, and rate-limit buckets are keyed by app.
const LOAD_APP = `app:ops-replicas-${randomUUID().slice(0, 8)}`;
const LIMITED_APP = `app:ops-limited-${randomUUID().slice(0, 8)}`;

let system: System;
let workDir: string;
let replicas: ServiceChild[] = [];
const exits = new Map<string, { code: number | null; signal: NodeJS.Signals | null }>();
let nginx: ChildProcess | undefined;
let nginxUrl: string;
let replicaEnv: NodeJS.ProcessEnv;
let loadToken: string;
let limitedToken: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startNginx(upstreamPorts: number[]): Promise<string> {
  const port = await freePort();
  const template = readFileSync(join(REPO_ROOT, "deploy/nginx/gateway.conf.template"), "utf8");
  const values: Record<string, string> = {
    NGINX_LISTEN: `127.0.0.1:${port}`,
    GATEWAY_UPSTREAM_SERVERS: upstreamPorts.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join(" "),
  };
  const dir = join(workDir, "nginx");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "gateway.conf"), template.replace(/\$\{(\w+)\}/g, (_, name: string) => values[name]!));
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `${kind}_temp_path ${dir}/${kind};`).join("\n  ");
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  ${temp}\n  include ${dir}/gateway.conf;\n}\n`,
  );
  nginx = spawn(NGINX!, ["-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdio: "ignore" });
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok) return `http://127.0.0.1:${port}/graphql`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nginx did not serve:\n${readFileSync(join(dir, "error.log"), "utf8")}`);
}

function startReplica(name: string): Promise<ServiceChild> {
  // A loaded CI machine may take minutes to start a TypeScript process.
  return startChild({ name, entry: "gateway/main.ts", env: replicaEnv, startTimeoutMs: 400_000, onExit: (code, signal) => exits.set(name, { code, signal }) });
}

async function post(url: string, token: string): Promise<{ status: number; requestId: string | null; hasData: boolean }> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: { citizen?: unknown } };
    return { status: response.status, requestId: response.headers.get("x-request-id"), hasData: Boolean(body.data?.citizen) };
  } catch {
    return { status: 0, requestId: null, hasData: false };
  }
}

beforeAll(async () => {
  expect(NGINX, "Debian's nginx is installed (apt-get install nginx-light; .ci/run does it)").toBeDefined();
  system = await startSystem({ suite: "ops-replicas" });
  workDir = mkdtempSync(join(tmpdir(), "gateway-replicas-"));
  const admin = new pg.Client({ connectionString: withDatabaseName(SERVER, "postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await admin.end();
  writeFileSync(join(workDir, "apps.json"), JSON.stringify({ apps: { [LIMITED_APP]: { rateLimit: { perSecond: 1, burst: 6 } } } }));
  replicaEnv = {
    ...process.env,
    // The system's keys (issuer, gateway, receipts, pseudonyms) are under its work folder.
    DATA_DIR: system.workDir,
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    LOG_LEVEL: "warn",
    GATEWAY_DATABASE_URL: withDatabaseName(SERVER, DATABASE),
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
  for (const [name, subgraph] of system.subgraphs) replicaEnv[`${name.toUpperCase().replace(/-/g, "_")}_SUBGRAPH_URL`] = subgraph.url;
  // One replica first: it creates and migrates the database; the second then finds it.
  replicas = [await startReplica("replica-1")];
  replicas.push(await startReplica("replica-2"));
  nginxUrl = await startNginx(replicas.map((replica) => Number(new URL(replica.url).port)));
  const sign = (subject: string) =>
    signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes: STANDARD_SCOPES, purpose: "REPLICA_TEST" });
  loadToken = await sign(LOAD_APP);
  limitedToken = await sign(LIMITED_APP);
}, 900_000);

afterAll(async () => {
  nginx?.kill("SIGTERM");
  await Promise.all(replicas.map((replica) => replica.stop().catch(() => {})));
  await system?.stop();
});

describe("two gateway replicas behind nginx", () => {
  it("share one app's rate limit", async () => {
    const statuses: Array<{ replica: number; status: number }> = [];
    for (let i = 0; i < 14; i++) {
      const replica = i % 2;
      statuses.push({ replica, status: (await post(replicas[replica]!.url, limitedToken)).status });
    }
    const allowed = statuses.filter((s) => s.status === 200).length;
    // Burst 6 and 1 per second: one shared bucket allows about 6-8 here, two separate buckets would allow all 14.
    expect(allowed).toBeGreaterThanOrEqual(6);
    expect(allowed).toBeLessThanOrEqual(9);
    for (const replica of [0, 1]) expect(statuses.some((s) => s.replica === replica && s.status === 429), `replica ${replica + 1} refused`).toBe(true);
  }, 120_000);

  it("keep serving through nginx when one is killed with SIGKILL, and every response with data has its audit record", async () => {
    const results: Array<{ status: number; requestId: string | null; hasData: boolean; afterKill: boolean }> = [];
    let killedAt = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const afterKill = killedAt > 0 && performance.now() - killedAt > 1000;
        results.push({ ...(await post(nginxUrl, loadToken)), afterKill });
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    while (results.length < 60) await new Promise((resolve) => setTimeout(resolve, 50));
    process.kill(replicas[0]!.pid, "SIGKILL");
    killedAt = performance.now();
    while (results.filter((r) => r.afterKill).length < 60) await new Promise((resolve) => setTimeout(resolve, 50));
    stop = true;
    await Promise.all(workers);

    await expect.poll(() => exits.get("replica-1")?.signal).toBe("SIGKILL");
    const after = results.filter((r) => r.afterKill);
    expect(after.every((r) => r.status === 200 && r.hasData), `after the kill: ${JSON.stringify(after.filter((r) => r.status !== 200).slice(0, 3))}`).toBe(true);
    // At most the requests in flight on the killed replica failed (502), and they carried no data.
    for (const failed of results.filter((r) => r.status !== 200)) expect(failed.hasData).toBe(false);

    const withData = results.filter((r) => r.hasData).map((r) => r.requestId!);
    expect(withData.length).toBeGreaterThanOrEqual(100);
    const client = new pg.Client({ connectionString: withDatabaseName(SERVER, DATABASE) });
    await client.connect();
    try {
      const found = await client.query<{ request_id: string }>("SELECT request_id FROM audit_record WHERE request_id = ANY($1) AND data_released", [withData]);
      expect(new Set(found.rows.map((row) => row.request_id)).size).toBe(new Set(withData).size);
    } finally {
      await client.end();
    }
  }, 300_000);

  it("the survivor drains in-flight requests on SIGTERM and exits 0", async () => {
    const survivor = replicas[1]!;
    const inFlight = Array.from({ length: 8 }, () => post(survivor.url, loadToken));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await survivor.stop(10_000); // SIGTERM, and SIGKILL only after 10 s
    const answered = await Promise.all(inFlight);
    expect(exits.get("replica-2")).toEqual({ code: 0, signal: null });
    // Requests that reached it were answered, not cut off.
    for (const result of answered) expect([200, 0]).toContain(result.status);
    expect(answered.some((result) => result.status === 200)).toBe(true);
  }, 120_000);

  it("npm run audit -- verify passes on the one chain both replicas wrote", async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["--import", "tsx", "scripts/audit.ts", "verify", "--jwks", system.keys.gatewayJwks], { cwd: REPO_ROOT, env: replicaEnv, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/audit chain verifies: \d+ records/);
  }, 180_000);
});
