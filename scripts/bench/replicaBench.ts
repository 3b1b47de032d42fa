/**
 * `npm run bench -- --replicas [options]`: one gateway replica and two, side
 * by side in one run, each behind Debian's nginx (deploy/nginx template), on
 * PostgreSQL (DATABASE_URL: the agencies' bench_<agency> databases and one
 * shared audit database) and Redis (REDIS_URL, default 127.0.0.1:6379).
 *
 * Both replicas run all the time; nginx A sends to replica 1 only, nginx B to
 * both. Rounds alternate A and B under the same one-stop load (autocannon in
 * this process). Per measurement window: throughput and latency through
 * nginx, gateway CPU per request (utime + stime of the serving replicas from
 * /proc, summed), nginx's CPU per request (master and worker), audit records committed per
 * second (the one chain's rows) and audit commits per second (group commits,
 * from the replicas' Prometheus counters). Ratios are two over one.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { grantThroughApi } from "../../gateway/governance/grantThroughApi.ts";
import { readCatalog } from "../../gateway/governance/readCatalog.ts";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { ensureDevKeys, loadSigningKey } from "../../platform/security/keys.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { scopesOf } from "../../schema/scopesOf.ts";
import { agencies } from "../../subgraphs/agencies.ts";
import { startChild, stopAllChildren, type ServiceChild } from "../childProcesses.ts";
import { NGINX_BINARY, startNginx, type RunningNginx } from "../startNginx.ts";
import { SUPERGRAPH_PATH } from "./benchSupergraph.ts";
import { describeMachine } from "./machine.ts";
import { runLoad, settle, type Target } from "./measure.ts";
import { cpuMillis } from "./procStats.ts";
import { RESULTS_DIR } from "./report.ts";
import { benchDatabaseEnv, dropBenchDatabases, seedBenchDatabases } from "./seedBenchDatabases.ts";
import { startGatewayUnderTest, type GatewayStartContext } from "./startGateways.ts";
import { citizenIds, oneStopWorkload } from "./workloads.ts";


export const REPLICAS_USAGE = `npm run bench -- --replicas [options]   (needs DATABASE_URL, Redis and nginx)
  --citizens N      generated citizens to seed (2000)
  --duration S      seconds per measurement (10)
  --warmup S        seconds of unmeasured load before each (3)
  --rounds N        rounds of one replica, two replicas (3); medians are reported
  --connections N   concurrent connections through nginx (32)
  --json            print one JSON line of the results at the end
  --keep-data       keep the bench_* databases`;

interface Options {
  citizens: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  connections: number;
  json: boolean;
  keepData: boolean;
}

function parse(argv: readonly string[]): Options {
  const options: Options = { citizens: 2000, durationS: 10, warmupS: 3, rounds: 3, connections: 32, json: false, keepData: false };
  const number = (flag: string, raw: string | undefined, min: number, max: number) => {
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < min || value > max) throw new Error(`${flag} must be a number from ${min} to ${max}\n${REPLICAS_USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "--replicas") continue;
    else if (flag === "--help" || flag === "-h") {
      console.log(REPLICAS_USAGE);
      process.exit(0);
    }
    else if (flag === "--citizens") options.citizens = number(flag, value(), 200, 1_000_000);
    else if (flag === "--duration") options.durationS = number(flag, value(), 1, 600);
    else if (flag === "--warmup") options.warmupS = number(flag, value(), 0, 120);
    else if (flag === "--rounds") options.rounds = number(flag, value(), 1, 20);
    else if (flag === "--connections") options.connections = number(flag, value(), 1, 1024);
    else if (flag === "--json") options.json = true;
    else if (flag === "--keep-data") options.keepData = true;
    else throw new Error(`unknown option ${flag}\n${REPLICAS_USAGE}`);
  }
  return options;
}

export interface ReplicaFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the serving replicas together, per response. */
  gatewayCpuMsPerRequest: number;
  nginxCpuMsPerRequest: number;
  auditRecordsPerSecond: number;
  auditCommitsPerSecond: number;
  recordsPerCommit: number;
  /** Connection errors, timeouts, non-2xx and GraphQL errors. */
  errors: number;
}

const GATEWAY_DATABASE = "bench_replicas_gateway";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** CPU milliseconds of these processes together. */
function cpuOf(children: readonly ServiceChild[]): number {
  return children.map((child) => cpuMillis(child.pid)).reduce((sum, ms) => sum + ms, 0);
}

/** CPU milliseconds of nginx: its master and its worker (the master's children). */
function nginxCpu(masterPid: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no children file in this kernel: the master alone
  }
  return [masterPid, ...children].map((pid) => {
    try {
      return cpuMillis(pid);
    } catch {
      return 0; // gone meanwhile
    }
  }).reduce((sum, ms) => sum + ms, 0);
}

/** Group commits so far, summed over the replicas' /metrics (every result label). */
async function auditCommits(metricsUrls: readonly string[]): Promise<number> {
  let commits = 0;
  for (const url of metricsUrls) {
    const text = await (await fetch(url)).text();
    for (const line of text.split("\n")) if (line.startsWith("gateway_audit_commit_duration_seconds_count")) commits += Number(line.split(" ").pop());
  }
  return commits;
}

export async function runReplicaBench(argv: readonly string[]): Promise<void> {
  const options = parse(argv);
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (!databaseUrl) throw new Error(`the replicas share a PostgreSQL database: set DATABASE_URL\n${REPLICAS_USAGE}`);
  if (!NGINX_BINARY) throw new Error("nginx is not installed: apt-get install -y nginx-light");
  const startedAt = new Date();
  const progress = (line: string) => process.stderr.write(`[bench:replicas ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const machine = describeMachine();
  progress(`${machine.nproc} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} at start`);
  const dataDir = mkdtempSync(join(tmpdir(), "gateway-bench-replicas-"));
  const nginxList: RunningNginx[] = [];
  try {
    const keys = await ensureDevKeys(dataDir, { gatewayAlg: "EdDSA" });
    progress(`seeding ${options.citizens} generated citizens in each agency's bench database`);
    await seedBenchDatabases({ agencies, citizens: options.citizens, dataDir, databaseUrl, progress });
    const admin = new pg.Client({ connectionString: withDatabaseName(databaseUrl, "postgres") });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${GATEWAY_DATABASE}" WITH (FORCE)`);
    await admin.end();

    const baseEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "warn" };
    for (const name of Object.keys(baseEnv)) if (/_SUBGRAPH_URL$|_DATABASE_URL$|^(DATABASE_URL|PORT|METRICS_PORT|DATA_DIR|OTEL_EXPORTER_OTLP_ENDPOINT|APP_REGISTRY|SUPERGRAPH_PATH)$/.test(name)) delete baseEnv[name];
    progress("starting the five subgraphs");
    const subgraphs: ServiceChild[] = await Promise.all(
      agencies.map((agency) =>
        startChild({
          name: agency.name,
          entry: `subgraphs/${agency.name}/main.ts`,
          env: { ...baseEnv, ...benchDatabaseEnv(agency.name, dataDir, databaseUrl), HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "0", SEED_DEMO: "false", GATEWAY_JWKS: keys.gatewayJwks },
        }),
      ),
    );
    const issuer = await loadSigningKey(keys.issuerPrivate);
    const appToken = await signDevToken({ key: issuer, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject: "app:bench", scopes: scopesOf(readFileSync(SUPERGRAPH_PATH, "utf8")), purpose: "BENCH" });
    const context: GatewayStartContext = {
      baseEnv,
      dataDir,
      databaseUrl: undefined,
      issuerJwks: keys.issuerJwks,
      gatewayPrivateKey: keys.gatewayPrivate,
      subgraphUrls: Object.fromEntries(subgraphs.map((s) => [s.name, s.url])),
      benchSupergraphPath: "",
      appToken,
    };
    const shared = { GATEWAY_DATABASE_URL: withDatabaseName(databaseUrl, GATEWAY_DATABASE), REDIS_URL: redisUrl, AUDIT_HEADS: join(dataDir, "audit-heads.jsonl") };
    progress("starting replica 1 (it migrates the shared database), then replica 2");
    const replicas = [await startGatewayUnderTest("this", context, [], { env: shared, label: "replica 1" })];
    replicas.push(await startGatewayUnderTest("this", context, [], { env: shared, label: "replica 2" }));
    const metricsUrls = replicas.map((r) => /metrics at (https?:\/\/[^\s")]+)/.exec(r.child.recentOutput())?.[1] ?? "");
    const ports = replicas.map((r) => Number(new URL(r.child.url).port));
    const one = await startNginx({ upstreamPorts: [ports[0]!], workDir: join(dataDir, "nginx-one") });
    const two = await startNginx({ upstreamPorts: ports, workDir: join(dataDir, "nginx-two") });
    nginxList.push(one, two);
    const sign = (subject: string, scopes: string[]) => signDevToken({ key: issuer, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose: "BENCH_SETUP" });
    await grantThroughApi({
      graphqlUrl: `${two.origin}/graphql`,
      operatorToken: await sign("user:bench-operator", ["grants:admin"]),
      approverToken: await sign("user:bench-approver", agencies.map((agency) => `grants:approve:${agency.name}`)),
      grants: [{ app: "app:bench", purpose: "BENCH", scopes: readCatalog(readFileSync(SUPERGRAPH_PATH, "utf8")).scopes.map((s) => s.scope) }],
    });

    const audit = new pg.Client({ connectionString: shared.GATEWAY_DATABASE_URL });
    await audit.connect();
    const records = async () => Number((await audit.query<{ n: string }>("SELECT count(*) AS n FROM audit_record")).rows[0]!.n);
    const workload = oneStopWorkload(citizenIds(options.citizens));
    const configs = [
      { key: "one", nginx: one, serving: [replicas[0]!.child] },
      { key: "two", nginx: two, serving: replicas.map((r) => r.child) },
    ] as const;
    const everyPid = [...subgraphs, ...replicas.map((r) => r.child)].map((c) => c.pid);
    const measured: Record<"one" | "two", ReplicaFigures[]> = { one: [], two: [] };
    let nextRequest = 1;
    for (let round = 1; round <= options.rounds; round++) {
      for (const config of configs) {
        await settle(everyPid);
        const target: Target = { key: "this", label: config.key, pid: config.serving[0]!.pid, url: `${config.nginx.origin}/graphql`, headers: { authorization: `Bearer ${appToken}` } };
        if (options.warmupS > 0) nextRequest = (await runLoad({ target, workload, connections: options.connections, durationS: options.warmupS, firstRequest: nextRequest })).nextRequest;
        const cpuBefore = cpuOf(config.serving);
        const nginxBefore = nginxCpu(config.nginx.pid);
        const [recordsBefore, commitsBefore] = [await records(), await auditCommits(metricsUrls)];
        const from = performance.now();
        const load = await runLoad({ target, workload, connections: options.connections, durationS: options.durationS, firstRequest: nextRequest });
        nextRequest = load.nextRequest;
        const cpu = cpuOf(config.serving) - cpuBefore;
        const nginxCpuMs = nginxCpu(config.nginx.pid) - nginxBefore;
        // Every response waited for its record's commit, so the count is final here.
        const [recordsAfter, commitsAfter] = [await records(), await auditCommits(metricsUrls)];
        const seconds = (performance.now() - from) / 1000;
        const figures: ReplicaFigures = {
          rps: load.rps,
          p50Ms: load.p50Ms,
          p99Ms: load.p99Ms,
          gatewayCpuMsPerRequest: cpu / Math.max(1, load.requests),
          nginxCpuMsPerRequest: nginxCpuMs / Math.max(1, load.requests),
          auditRecordsPerSecond: (recordsAfter - recordsBefore) / seconds,
          auditCommitsPerSecond: (commitsAfter - commitsBefore) / seconds,
          recordsPerCommit: (recordsAfter - recordsBefore) / Math.max(1, commitsAfter - commitsBefore),
          errors: load.errors + load.non2xx + load.graphqlErrors,
        };
        measured[config.key].push(figures);
        progress(
          `round ${round}/${options.rounds} ${config.key === "one" ? "one replica " : "two replicas"} ${figures.rps.toFixed(0).padStart(5)} req/s  p99 ${figures.p99Ms.toFixed(0)} ms  gateway CPU ${figures.gatewayCpuMsPerRequest.toFixed(2)} ms/req  audit ${figures.auditRecordsPerSecond.toFixed(0)} records/s in ${figures.auditCommitsPerSecond.toFixed(0)} commits/s  errors ${figures.errors}${load.sampleError ? ` (${load.sampleError.slice(0, 120)})` : ""}`,
        );
      }
    }
    await audit.end();
    const combine = (rounds: ReplicaFigures[]): ReplicaFigures =>
      Object.fromEntries(Object.keys(rounds[0]!).map((k) => [k, k === "errors" ? rounds.reduce((s, r) => s + r.errors, 0) : median(rounds.map((r) => r[k as keyof ReplicaFigures]))])) as unknown as ReplicaFigures;
    const results = { one: combine(measured.one), two: combine(measured.two) };
    const ratio = (key: keyof ReplicaFigures) => (results.one[key] > 0 ? results.two[key] / results.one[key] : 0);
    const ratios = { rps: ratio("rps"), gatewayCpuMsPerRequest: ratio("gatewayCpuMsPerRequest"), auditRecordsPerSecond: ratio("auditRecordsPerSecond"), auditCommitsPerSecond: ratio("auditCommitsPerSecond") };
    const loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
    const report = {
      startedAt: startedAt.toISOString(),
      command: `npm run bench -- ${argv.join(" ")}`,
      machine,
      loadAverageAtEnd,
      settings: options,
      database: `PostgreSQL (${new URL(databaseUrl).host}): audit in ${GATEWAY_DATABASE}, shared; Redis ${new URL(redisUrl).host}`,
      workload: workload.description,
      results,
      ratios,
    };
    const table = renderReplicaTable(report);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const stamp = `replicas-${report.startedAt.replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}`;
    writeFileSync(join(RESULTS_DIR, `${stamp}.json`), JSON.stringify(report, null, 2) + "\n");
    writeFileSync(join(RESULTS_DIR, `${stamp}.md`), `# Replica bench ${report.startedAt}\n\n\`${report.command}\`\n\n\`\`\`\n${table}\n\`\`\`\n`);
    process.stdout.write(`\n${table}\n\nsaved ${join(RESULTS_DIR, `${stamp}.md`)}\n`);
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await Promise.all(nginxList.map((n) => n.stop()));
    await stopAllChildren();
    if (!options.keepData) {
      await dropBenchDatabases([...agencies.map((a) => a.name), "replicas-gateway"], databaseUrl).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

function renderReplicaTable(report: { machine: ReturnType<typeof describeMachine>; loadAverageAtEnd: number[]; settings: Options; results: Record<"one" | "two", ReplicaFigures>; ratios: Record<string, number>; workload: string }): string {
  const { one, two } = report.results;
  const row = (name: string, a: string, b: string, ratio = "") => `${name.padEnd(34)} ${a.padStart(12)} ${b.padStart(12)} ${ratio.padStart(10)}`;
  const x = (value: number) => `${value.toFixed(2)}×`;
  return [
    `one-stop (${report.workload}) through nginx, ${report.settings.connections} connections, ${report.settings.durationS} s × ${report.settings.rounds} rounds (medians)`,
    `${report.machine.nproc} CPUs; load average ${report.machine.loadAverageAtStart} at start, ${report.loadAverageAtEnd.join(" ")} at end${report.machine.loadAverageAtStart > report.machine.nproc ? " (busy machine: noisy)" : ""}`,
    row("", "one replica", "two replicas", "two / one"),
    row("requests/s", one.rps.toFixed(0), two.rps.toFixed(0), x(report.ratios.rps!)),
    row("p50 / p99 ms", `${one.p50Ms.toFixed(0)} / ${one.p99Ms.toFixed(0)}`, `${two.p50Ms.toFixed(0)} / ${two.p99Ms.toFixed(0)}`),
    row("gateway CPU ms per request", one.gatewayCpuMsPerRequest.toFixed(2), two.gatewayCpuMsPerRequest.toFixed(2), x(report.ratios.gatewayCpuMsPerRequest!)),
    row("nginx CPU ms per request", one.nginxCpuMsPerRequest.toFixed(3), two.nginxCpuMsPerRequest.toFixed(3)),
    row("audit records committed/s", one.auditRecordsPerSecond.toFixed(0), two.auditRecordsPerSecond.toFixed(0), x(report.ratios.auditRecordsPerSecond!)),
    row("audit group commits/s", one.auditCommitsPerSecond.toFixed(0), two.auditCommitsPerSecond.toFixed(0), x(report.ratios.auditCommitsPerSecond!)),
    row("records per commit", one.recordsPerCommit.toFixed(1), two.recordsPerCommit.toFixed(1)),
    row("errors (all rounds)", String(one.errors), String(two.errors)),
  ].join("\n");
}
