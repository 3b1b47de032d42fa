// Benchmarks this gateway against plain Apollo Gateway and Hive Gateway over loopback: npm run bench -- [--citizens N] [--duration S] [--rounds N] [--json] (--help).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../gateway/config.ts";
import { ensureDevKeys, loadSigningKey } from "../platform/security/keys.ts";
import { signDevToken } from "../platform/security/signDevToken.ts";
import { scopesOf } from "../schema/scopesOf.ts";
import { grantThroughApi } from "../gateway/governance/grantThroughApi.ts";
import { readCatalog } from "../gateway/governance/readCatalog.ts";
import { agencies } from "../subgraphs/agencies.ts";
import { writeBenchSupergraph, SUPERGRAPH_PATH } from "./bench/benchSupergraph.ts";
import { checkResponses } from "./bench/checkResponses.ts";
import { killAllChildrenNow, REPO_ROOT, startChild, stopAllChildren, type ServiceChild } from "./childProcesses.ts";
import { summarizeCpuProfile, type ProfileSummary } from "./bench/cpuProfile.ts";
import { runAuditBench } from "./bench/auditBench.ts";
import { runReplicaBench } from "./bench/replicaBench.ts";
import { describeMachine } from "./bench/machine.ts";
import { measure, runLoad, settle, type Measurement, type Target } from "./bench/measure.ts";
import { measureMemoryGrowth, type MemoryGrowth } from "./bench/memoryGrowth.ts";
import { parseOptions, USAGE, type BenchOptions, type GatewayKey } from "./bench/options.ts";
import { cpuMillis } from "./bench/procStats.ts";
import {
  combineRounds,
  installedVersions,
  jsonLine,
  ratiosOf,
  renderTables,
  RESULTS_DIR,
  saveReport,
  type BenchReport,
  type FeatureReport,
  type ScaleReport,
  type WorkloadReport,
} from "./bench/report.ts";
import { benchDatabaseEnv, dropBenchDatabases, seedBenchDatabases } from "./bench/seedBenchDatabases.ts";
import { sqlStatementsOfOneRequest } from "./bench/sqlStatements.ts";
import { startGatewayUnderTest, type GatewayStartContext } from "./bench/startGateways.ts";
import { allFeaturesOn, FEATURE_ROWS, startTraceSink } from "./bench/features.ts";
import { FEATURE_WORKLOADS } from "./bench/options.ts";
import { batchWorkload, citizenIds, oneStopWorkload, standardWorkloads, type Workload } from "./bench/workloads.ts";

const startedAt = Date.now();

function progress(line: string): void {
  process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

/** The environment of every child, without anything that would point it elsewhere. */
function baseEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/_SUBGRAPH_URL$|_DATABASE_URL$|^DATABASE_URL$|^(PORT|METRICS_PORT|METRICS_HOST|OTEL_EXPORTER_OTLP_ENDPOINT|HOST|DATA_DIR|JWKS|GATEWAY_SIGNING_KEY|GATEWAY_JWKS|SUPERGRAPH_PATH|NODE_OPTIONS|APP_REGISTRY|REDIS_URL|RATE_LIMIT_PER_SECOND|RATE_LIMIT_BURST|AUTHZ_MODE)$/.test(name)) {
      delete env[name];
    }
  }
  return env;
}

function generatePrismaClients(): void {
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/generate-prisma.ts"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`generating Prisma clients failed:\n${result.stderr}${result.stdout}`);
}

async function startSubgraphs(baseEnv: NodeJS.ProcessEnv, dataDir: string, databaseUrl: string | undefined, gatewayJwks: string): Promise<ServiceChild[]> {
  return Promise.all(
    agencies.map((agency) =>
      startChild({
        name: agency.name,
        entry: `subgraphs/${agency.name}/main.ts`,
        env: {
          ...baseEnv,
          ...benchDatabaseEnv(agency.name, dataDir, databaseUrl),
          HOST: "127.0.0.1",
          PORT: "0",
          METRICS_PORT: "0",
          SEED_DEMO: "false",
          GATEWAY_JWKS: gatewayJwks,
        },
      }),
    ),
  );
}

async function run(options: BenchOptions, command: string): Promise<number> {
  const machine = describeMachine();
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const database = databaseUrl ? `PostgreSQL (${new URL(databaseUrl).host}, databases bench_<agency>)` : "PGlite (a fresh DATA_DIR under the OS temp folder)";
  progress(`${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}, load average ${machine.loadAverageAtStart}; ${database}`);
  const notes: string[] = [];
  if (databaseUrl) notes.push("on PostgreSQL the server's own processes are not in the subgraphs' CPU figures");
  if (machine.loadAverageAtStart > machine.nproc / 2) notes.push(`load average ${machine.loadAverageAtStart} at start on ${machine.nproc} CPUs: other work on the machine makes the figures noisy`);

  progress("generating Prisma clients (skipped when unchanged)");
  generatePrismaClients();
  const dataDir = mkdtempSync(join(tmpdir(), "gateway-bench-"));
  process.once("exit", () => {
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  });
  // The deployment's choice of gateway key: Ed25519, the cheapest signature for subgraph tokens (the subgraphs accept it).
  const keys = await ensureDevKeys(dataDir, { gatewayAlg: "EdDSA" });
  progress(`seeding ${options.citizens} generated citizens in each agency (data under ${dataDir})`);
  await seedBenchDatabases({ agencies, citizens: options.citizens, dataDir, databaseUrl, progress });

  const baseEnv = baseEnvironment();
  progress("starting the five subgraphs");
  const subgraphChildren = await startSubgraphs(baseEnv, dataDir, databaseUrl, keys.gatewayJwks);
  const subgraphs = subgraphChildren.map((child) => ({
    name: child.name,
    url: child.url,
    pid: child.pid,
    // Each one prints where its metrics are, beside its URL.
    metricsUrl: /metrics at (https?:\/\/[^\s")]+)/.exec(child.recentOutput())?.[1] ?? "",
  }));
  const subgraphUrls = Object.fromEntries(subgraphs.map((s) => [s.name, s.url]));
  for (const s of subgraphs) progress(`  ${s.name.padEnd(14)} ${s.url} (pid ${s.pid})`);

  const benchSupergraphPath = join(dataDir, "supergraph.bench.graphql");
  writeBenchSupergraph(benchSupergraphPath, subgraphUrls);
  const runSeconds = options.maxMinutes * 60 + 600;
  const appToken = await signDevToken({
    key: await loadSigningKey(keys.issuerPrivate),
    issuer: DEV_TOKEN_ISSUER,
    audience: DEFAULT_TOKEN_AUDIENCE,
    subject: "app:bench",
    scopes: scopesOf(readFileSync(SUPERGRAPH_PATH, "utf8")),
    purpose: "BENCH",
    ttlSeconds: runSeconds,
  });
  const context: GatewayStartContext = {
    baseEnv,
    dataDir,
    databaseUrl,
    issuerJwks: keys.issuerJwks,
    gatewayPrivateKey: keys.gatewayPrivate,
    subgraphUrls,
    benchSupergraphPath,
    appToken,
  };
  // This gateway runs with every per-request feature on, traces going to a sink here.
  const traceSink = await startTraceSink();
  process.once("exit", () => void traceSink.close());
  // The bench's app token lives as long as the run may.
  const allOn = { ...allFeaturesOn(traceSink.url), MAX_TOKEN_LIFETIME: String(Math.max(runSeconds, 24 * 3600)) };

  const unavailable: BenchReport["unavailable"] = [];
  const targets: Target[] = [];
  const wanted = new Set<GatewayKey>(options.gateways);
  wanted.add("this"); // always: the scale, memory and profile tests and the response check need it
  for (const key of ["apollo", "hive", "this"] as GatewayKey[]) {
    if (!wanted.has(key)) continue;
    progress(`starting gateway ${key}`);
    try {
      const { target } = await startGatewayUnderTest(key, context, [], key === "this" ? { env: allOn } : {});
      targets.push(target);
      progress(`  ${target.label} at ${target.url} (pid ${target.pid})`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      unavailable.push({ gateway: key, reason: reason.slice(0, 2000) });
      progress(`  ${key} did not start: ${reason.slice(0, 2000)}`);
    }
  }
  const thisGateway = targets.find((t) => t.key === "this");
  if (!thisGateway) throw new Error("this gateway did not start");
  // One more this-gateway per feature, with that feature off.
  const featureTargets: Target[] = [];
  for (const row of FEATURE_ROWS.filter((r) => options.features.includes(r.feature))) {
    progress(`starting this gateway without ${row.feature}`);
    const { target } = await startGatewayUnderTest("this", context, [], { env: row.off(allOn), label: `C without ${row.feature}`, feature: row.feature, entry: row.entry });
    featureTargets.push(target);
    progress(`  ${target.label} at ${target.url} (pid ${target.pid})`);
  }
  // Like any app, the bench's needs the agencies' grants for its purpose, on every gateway C (through the governance API).
  const issuer = await loadSigningKey(keys.issuerPrivate);
  const benchSign = (subject: string, scopes: string[]) =>
    signDevToken({ key: issuer, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose: "BENCH_SETUP" });
  for (const target of [thisGateway, ...featureTargets]) {
    await grantThroughApi({
      graphqlUrl: target.url,
      operatorToken: await benchSign("user:bench-operator", ["grants:admin"]),
      approverToken: await benchSign("user:bench-approver", agencies.map((agency) => `grants:approve:${agency.name}`)),
      grants: [{ app: "app:bench", purpose: "BENCH", scopes: readCatalog(readFileSync(SUPERGRAPH_PATH, "utf8")).scopes.map((s) => s.scope) }],
    });
  }

  const ids = citizenIds(options.citizens);
  const workloads = standardWorkloads(ids).filter((w) => options.workloads.includes(w.name));
  progress("checking that every gateway answers every workload with the same data");
  const checked = await checkResponses([...targets, ...featureTargets], [...workloads, ...(workloads.length ? [] : [oneStopWorkload(ids)])]);
  for (const [key, problem] of checked.failed) {
    progress(`  ${key} answers wrongly, not measured: ${problem}`);
    unavailable.push({ gateway: key as GatewayKey, reason: `wrong answer: ${problem}` });
  }
  if (checked.failed.has("this")) throw new Error(`this gateway answers wrongly: ${checked.failed.get("this")}`);
  for (const difference of checked.differences) {
    progress(`  different data: ${difference}`);
    notes.push(`gateways answered different data: ${difference}`);
  }
  const measured = targets.filter((t) => !checked.failed.has(t.key) && options.gateways.includes(t.key));
  const subgraphPids = subgraphs.map((s) => s.pid);
  const everyPid = [...subgraphPids, ...targets.map((t) => t.pid), ...featureTargets.map((t) => t.pid)];
  const quiet = async () => {
    if (!(await settle(everyPid))) progress("  (the processes did not go idle within 20 s; measuring anyway)");
  };

  // Interleaved: for each round, each workload, A B C.
  const rounds = new Map<string, Measurement[]>();
  let nextRequest = 1;
  /** One measurement once the machine is idle, each request for a citizen not asked for before. */
  const measureNext = async (target: Target, workload: Workload) => {
    await quiet();
    const result = await measure({
      target,
      subgraphPids,
      workload,
      connections: options.connections,
      durationS: options.durationS,
      warmupS: options.warmupS,
      firstRequest: nextRequest,
    });
    nextRequest = result.nextRequest;
    return result;
  };
  for (let round = 1; round <= options.rounds; round++) {
    for (const workload of workloads) {
      const featureRows = FEATURE_WORKLOADS.includes(workload.name) ? featureTargets : [];
      for (const target of [...measured, ...featureRows]) {
        const result = await measureNext(target, workload);
        const key = `${workload.name}\n${target.feature ? `without ${target.feature}` : target.key}`;
        rounds.set(key, [...(rounds.get(key) ?? []), result]);
        const errors = result.errors + result.non2xx + result.graphqlErrors;
        progress(
          `round ${round}/${options.rounds} ${workload.name.padEnd(8)} ${(target.feature ? `C-${target.feature}` : target.key).padEnd(6)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(1)} ms  p99 ${result.p99Ms.toFixed(1)} ms  gw CPU ${result.gatewayCpuMsPerRequest.toFixed(2)} ms/req  subgraphs ${result.subgraphsCpuMsPerRequest.toFixed(2)} ms/req  peak ${result.peakRssMb.toFixed(0)} MiB`,
        );
        if (errors) {
          progress(`  errors: ${result.errors} connection/timeout, ${result.non2xx} non-2xx, ${result.graphqlErrors} with GraphQL errors; first: ${result.sampleError ?? "-"}`);
        }
      }
    }
  }
  const workloadReports: WorkloadReport[] = workloads.map((workload) => {
    const results: WorkloadReport["results"] = {};
    for (const target of measured) {
      const measurements = rounds.get(`${workload.name}\n${target.key}`);
      if (measurements) results[target.key] = combineRounds(measurements);
    }
    return { name: workload.name, description: workload.description, results, ratios: ratiosOf(results) };
  });
  const featureReports: FeatureReport[] = workloads
    .filter((workload) => FEATURE_WORKLOADS.includes(workload.name) && featureTargets.length > 0)
    .map((workload) => {
      const off: FeatureReport["off"] = {};
      const descriptions: FeatureReport["descriptions"] = {};
      for (const target of featureTargets) {
        const measurements = rounds.get(`${workload.name}\nwithout ${target.feature}`);
        if (measurements) off[target.feature!] = combineRounds(measurements);
        descriptions[target.feature!] = FEATURE_ROWS.find((r) => r.feature === target.feature)!.description;
      }
      return { workload: workload.name, allOn: workloadReports.find((w) => w.name === workload.name)?.results.this, off, descriptions };
    });
  if (featureTargets.length) progress(`trace sink received ${traceSink.batches()} OTLP batches`);

  // Scale: SQL statements of one request and throughput for 10, 50, 100 ids, through this gateway.
  const scale: ScaleReport[] = [];
  let statementsIndependentOfIds: boolean | null = null;
  if (options.scaleSizes.length > 0) {
    const sizes = options.scaleSizes.map((size) => ({ size, workload: batchWorkload(ids, size) }));
    const statements = new Map<number, Record<string, number>>();
    await quiet();
    for (const { size, workload } of sizes) {
      // Request numbers far from the ones measured, so no subgraph has these citizens cached anywhere.
      const counted = await sqlStatementsOfOneRequest(thisGateway, subgraphs, workload.body(7 + size));
      statements.set(size, counted.statements);
      progress(`SQL statements for ${size} ids: ${Object.entries(counted.statements).map(([n, c]) => `${n} ${c}`).join(", ")}${counted.errors ? " (the answer had errors)" : ""}`);
    }
    const scaleRounds = new Map<number, Measurement[]>();
    for (let round = 1; round <= options.rounds; round++) {
      for (const { size, workload } of sizes) {
        const result = await measureNext(thisGateway, workload);
        scaleRounds.set(size, [...(scaleRounds.get(size) ?? []), result]);
        progress(`round ${round}/${options.rounds} scale ${String(size).padStart(3)} ids: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(1)} ms`);
      }
    }
    for (const { size } of sizes) {
      const combined = combineRounds(scaleRounds.get(size)!);
      scale.push({
        ids: size,
        statements: statements.get(size)!,
        rps: combined.rps,
        p50Ms: combined.p50Ms,
        p99Ms: combined.p99Ms,
        gatewayCpuMsPerRequest: combined.gatewayCpuMsPerRequest,
        errors: combined.errors + combined.non2xx + combined.graphqlErrors,
      });
    }
    statementsIndependentOfIds = subgraphs.every((s) => new Set(scale.map((row) => row.statements[s.name])).size === 1);
  }

  let memory: MemoryGrowth | null = null;
  if (options.memoryRequests > 0) {
    await quiet();
    progress(`memory: ${options.memoryRequests} one-stop requests through this gateway`);
    const growth = await measureMemoryGrowth({
      target: thisGateway,
      workload: oneStopWorkload(ids),
      totalRequests: options.memoryRequests,
      connections: options.connections,
      firstRequest: nextRequest,
      progress,
    });
    nextRequest = growth.nextRequest;
    const { nextRequest: _unused, ...rest } = growth;
    memory = rest;
  }

  let profile: ProfileSummary | null = null;
  if (options.profile) profile = await profileThisGateway(context, oneStopWorkload(ids), options, nextRequest, allOn);

  const report: BenchReport = {
    startedAt: new Date(startedAt).toISOString(),
    command,
    machine,
    database,
    versions: installedVersions(["@apollo/gateway", "@apollo/server", "@graphql-hive/gateway", "@graphql-hive/gateway-runtime", "autocannon"]),
    settings: { citizens: options.citizens, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS, rounds: options.rounds },
    unavailable,
    workloads: workloadReports,
    features: featureReports,
    scale,
    statementsIndependentOfIds,
    memory,
    profile,
    notes,
  };
  const saved = saveReport(report);
  process.stdout.write(`\n${renderTables(report)}\n\nsaved ${saved}\n`);
  if (options.json) process.stdout.write(`${jsonLine(report)}\n`);
  const loadgenCpu = workloadReports.flatMap((w) => Object.values(w.results).map((r) => r!.loadgenCpuMsPerRequest));
  if (loadgenCpu.length) progress(`the load generator (this process) spent up to ${Math.max(...loadgenCpu).toFixed(2)} ms CPU per request`);
  return unavailable.length > 0 ? 1 : 0;
}

/** A separate this-gateway process under `--cpu-prof`, driven with one-stop for --duration, stopped, its profile summarized. */
async function profileThisGateway(
  context: GatewayStartContext,
  workload: ReturnType<typeof oneStopWorkload>,
  options: BenchOptions,
  firstRequest: number,
  env: NodeJS.ProcessEnv,
): Promise<ProfileSummary> {
  progress("profiling this gateway (node --cpu-prof) under one-stop, every feature on");
  const spawnedAt = performance.now();
  const { child, target } = await startGatewayUnderTest("this", context, ["--cpu-prof", "--cpu-prof-dir", RESULTS_DIR], { env });
  const warm = await runLoad({ target, workload, connections: options.connections, durationS: Math.max(options.warmupS, 1), firstRequest });
  const cpuBefore = cpuMillis(child.pid);
  const from = performance.now();
  const load = await runLoad({ target, workload, connections: options.connections, durationS: options.durationS, firstRequest: warm.nextRequest });
  const to = performance.now();
  progress(`  profiled: ${load.rps.toFixed(0)} req/s, ${((cpuMillis(child.pid) - cpuBefore) / Math.max(1, load.requests)).toFixed(2)} ms CPU/request (profiler on)`);
  await child.stop(30_000);
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (others: tsx's loader worker).
  const main = readdirSync(RESULTS_DIR).find((name) => name.endsWith(".cpuprofile") && name.includes(`.${child.pid}.0.`));
  if (!main) throw new Error("the profiled gateway wrote no main-thread .cpuprofile");
  progress(`  profile: ${join(RESULTS_DIR, main)} (not committed)`);
  // Only the measured load: the profile starts when the process does, about when it was spawned.
  return summarizeCpuProfile(join(RESULTS_DIR, main), 25, { fromMs: from - spawnedAt, toMs: to - spawnedAt });
}

async function main(): Promise<void> {
  // The audit log at scale is its own bench (scripts/bench/auditBench.ts).
  if (process.argv.includes("--audit")) return runAuditBench(process.argv.slice(2));
  // One replica and two behind nginx, side by side (scripts/bench/replicaBench.ts).
  if (process.argv.includes("--replicas")) {
    process.on("exit", killAllChildrenNow);
    return runReplicaBench(process.argv.slice(2)).catch((error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    });
  }
  let options: BenchOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  let finishing = false;
  const finish = async (code: number, message?: string) => {
    if (finishing) return;
    finishing = true;
    if (message) progress(message);
    await stopAllChildren();
    if (process.env.DATABASE_URL && !options.keepData) {
      await dropBenchDatabases([...agencies.map((a) => a.name), "gateway"], process.env.DATABASE_URL).catch((error) =>
        progress(`could not drop the bench databases: ${error instanceof Error ? error.message : error}`),
      );
    }
    process.exit(code);
  };
  process.on("exit", killAllChildrenNow);
  process.on("SIGINT", () => void finish(130, "interrupted: stopping every child"));
  process.on("SIGTERM", () => void finish(143, "terminated: stopping every child"));
  const watchdog = setTimeout(() => void finish(1, `still running after --max-minutes ${options.maxMinutes}: stopping`), options.maxMinutes * 60_000);
  watchdog.unref();
  try {
    const code = await run(options, command);
    await finish(code);
  } catch (error) {
    await finish(1, `bench failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

await main();
