/**
 * `npm run bench -- --audit [--json]`: the audit log at scale, on the
 * PostgreSQL server named by DATABASE_URL.
 *
 * 1. Ingest: 64 producers write through the real group-commit writer into an
 *    empty log, then into the seeded one: rate, commit latency p50/p99, batch
 *    sizes, and the chain verified after.
 * 2. Seed N synthetic records (default 10 million) with a valid chain over
 *    the past months, with COPY (kept for reuse with --audit-reuse).
 * 3. Reads at size: auditRecords by citizen, app, field and time range (first
 *    and deep page, keyset), a citizen's accessLog, the audit page's first
 *    load, each p50/p99 with the query plan.
 * 4. Verification: full (streaming) and incremental rates.
 * 5. Archive the oldest month and verify the archive.
 * 6. Memory of the process hosting the writer, at 0 and at N records.
 *
 * Each figure is printed with its goal. Results go to scripts/bench/results/.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { archiveAuditMonth, verifyAuditArchive } from "../../gateway/audit/auditArchive.ts";
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { openAuditLog, type AuditLog } from "../../gateway/audit/openAuditLog.ts";
import { createCitizenPseudonymizer } from "../../gateway/audit/createCitizenPseudonymizer.ts";
import { refreshAuditRollups } from "../../gateway/audit/insights/refreshAuditRollups.ts";
import { queryAuditRecords, type AuditRecordFilter } from "../../gateway/audit/queryAuditRecords.ts";
import { startChainHeadSigning } from "../../gateway/audit/startChainHeadSigning.ts";
import { verifyAuditChain } from "../../gateway/audit/verifyAuditChain.ts";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { ensureDevKeys, loadSigningKey, publicJwksOfPrivateKey } from "../../platform/security/keys.ts";
import { describeMachine } from "./machine.ts";
import { RESULTS_DIR } from "./report.ts";
import {
  COMMON_FIELD,
  RARE_FIELD,
  SYNTHETIC_APPS,
  copySyntheticRecords,
  ensureSyntheticPartitions,
  setChainHead,
  syntheticAuditRecords,
  syntheticCitizen,
  syntheticResidentId,
} from "./syntheticAuditLog.ts";

/** Where the bench keeps the keys of database bench_audit (its pseudonym key, its gateway key). */
const BENCH_DATA_DIR = ".data/bench-audit";

interface AuditBenchOptions {
  records: number;
  months: number;
  ingestSeconds: number;
  producers: number;
  reuse: boolean;
  seedOnly: boolean;
  json: boolean;
  samples: number;
}

export const AUDIT_USAGE = `npm run bench -- --audit [options]   (needs DATABASE_URL: a PostgreSQL server)
  --audit-records N     synthetic records to seed (10000000)
  --audit-months N      months the seeded records span, ending now (12)
  --audit-seconds S     seconds of each ingest measurement (10)
  --audit-producers N   concurrent producers feeding the writer (64)
  --audit-samples N     runs of each read query (100)
  --audit-reuse         reuse database bench_audit if it already holds the records
  --audit-seed-only     only seed database bench_audit (then run again with --audit-reuse)
  --json                print one JSON line of the results at the end`;

function parse(argv: readonly string[]): AuditBenchOptions {
  const options: AuditBenchOptions = { records: 10_000_000, months: 12, ingestSeconds: 10, producers: 64, reuse: false, seedOnly: false, json: false, samples: 100 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const number = () => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a whole number`);
      return value;
    };
    if (flag === "--audit") continue;
    else if (flag === "--json") options.json = true;
    else if (flag === "--audit-reuse") options.reuse = true;
    else if (flag === "--audit-seed-only") options.seedOnly = true;
    else if (flag === "--audit-records") options.records = number();
    else if (flag === "--audit-months") options.months = number();
    else if (flag === "--audit-seconds") options.ingestSeconds = number();
    else if (flag === "--audit-producers") options.producers = number();
    else if (flag === "--audit-samples") options.samples = number();
    else throw new Error(`unknown option ${flag}\n${AUDIT_USAGE}`);
  }
  return options;
}

const started = Date.now();
const progress = (line: string) => process.stderr.write(`[audit bench ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const mib = (bytes: number) => round(bytes / 2 ** 20);

async function recreateDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabaseName(serverUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function openBenchLog(serverUrl: string, name: string, pseudonymKey: string): Promise<AuditLog> {
  return openAuditLog({ auditDatabase: { kind: "postgres", url: withDatabaseName(serverUrl, name), databaseName: name }, auditPseudonymKeyPath: pseudonymKey });
}

function ingestEntry(producer: number, i: number): AuditEntry {
  return {
    time: new Date(),
    requestId: `bench-${producer}-${i}`,
    app: SYNTHETIC_APPS[producer % SYNTHETIC_APPS.length]!,
    tokenId: `bench-token-${producer}`,
    purpose: "HPF_WITHDRAWAL_HOME_PURCHASE",
    operationName: "OneStop",
    operationHash: "0".repeat(64),
    citizens: [syntheticCitizen(producer * 1000 + (i % 1000))],
    requestedFields: ["Citizen.housingFundAccount", "Citizen.name", "HousingFundAccount.balance", "Query.citizen"],
    grantedFields: ["Citizen.housingFundAccount", "Citizen.name", "HousingFundAccount.balance", "Query.citizen"],
    deniedFields: [],
    outcome: "ALLOWED",
    dataReleased: true,
    errorCodes: [],
    subgraphs: ["civil-affairs", "housing-fund"],
    latencyMs: 12,
    clientAddress: "127.0.0.1",
  };
}

interface IngestReport {
  recordsAtStart: number;
  producers: number;
  seconds: number;
  records: number;
  recordsPerSecond: number;
  commitLatencyMs: { p50: number; p99: number };
  batch: { commits: number; mean: number; largest: number };
  chainVerifies: boolean;
  rssMiB: number;
  heapUsedMiB: number;
}

async function measureIngest(log: AuditLog, options: AuditBenchOptions, recordsAtStart: number, verifyAfter: boolean, gatewayJwks: ReturnType<typeof publicJwksOfPrivateKey>): Promise<IngestReport> {
  const before = log.writer.stats();
  const latencies: number[] = [];
  const deadline = performance.now() + options.ingestSeconds * 1000;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: options.producers }, async (_, producer) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const sent = performance.now();
        await log.writer.write(ingestEntry(producer, i));
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  const after = log.writer.stats();
  latencies.sort((a, b) => a - b);
  const commits = after.commits - before.commits;
  const memory = process.memoryUsage();
  let chainVerifies = true;
  if (verifyAfter) chainVerifies = (await verifyAuditChain({ session: log.database.session, gatewayJwks, headsPath: "/nonexistent" })).ok;
  return {
    recordsAtStart,
    producers: options.producers,
    seconds: round(seconds),
    records: latencies.length,
    recordsPerSecond: Math.round(latencies.length / seconds),
    commitLatencyMs: { p50: round(percentile(latencies, 50), 2), p99: round(percentile(latencies, 99), 2) },
    batch: { commits, mean: round(latencies.length / Math.max(1, commits)), largest: after.largestBatch },
    chainVerifies,
    rssMiB: mib(memory.rss),
    heapUsedMiB: mib(memory.heapUsed),
  };
}

interface ReadCase {
  name: string;
  filter: AuditRecordFilter;
  first: number;
  deep: boolean;
}

interface ReadReport {
  name: string;
  page: "first" | "deep";
  p50Ms: number;
  p99Ms: number;
  /** PostgreSQL's own execution time of the statement (EXPLAIN ANALYZE), without client, driver or machine-load overhead. */
  dbMs: number | null;
  rows: number;
  plan: string;
}

/** The cursor of a deep page: the seq of the (offset)th matching record, found once with OFFSET (not timed). */
async function deepCursor(log: AuditLog, filter: AuditRecordFilter, depth: number): Promise<string | null> {
  let after: string | null = null;
  let skipped = 0;
  while (skipped < depth) {
    const page = await queryAuditRecords(log.database.prisma, filter, { first: 500, after });
    if (!page.nextCursor) break;
    after = page.nextCursor;
    skipped += page.records.length;
  }
  return after;
}

/** Prisma's last SQL statement and its parameters, for EXPLAIN. */
function lastStatementOf(log: AuditLog): () => { sql: string; params: unknown[] } | null {
  let last: { sql: string; params: unknown[] } | null = null;
  (log.database.prisma as any).$on("query", (event: { query: string; params: string }) => {
    if (/FROM "public"\."audit_record"/.test(event.query) && /ORDER BY/.test(event.query)) {
      try {
        last = { sql: event.query, params: JSON.parse(event.params) };
      } catch {
        last = null;
      }
    }
  });
  return () => last;
}

async function measureReads(log: AuditLog, options: AuditBenchOptions): Promise<ReadReport[]> {
  const lastStatement = lastStatementOf(log);
  const [top] = await log.database.session.query<{ max: string }>("SELECT max(time)::text AS max FROM audit_record");
  const newest = new Date(top!.max);
  const dayAgo = new Date(newest.getTime() - 86_400_000);
  const quietApp = SYNTHETIC_APPS[10]!;
  const cases: Array<{ name: string; filter: AuditRecordFilter; first: number }> = [
    { name: "audit page first load (no filter)", filter: {}, first: 50 },
    { name: "by citizen (busy citizen)", filter: { citizenPseudonym: syntheticCitizen(0) }, first: 50 },
    { name: "by citizen (typical citizen)", filter: { citizenPseudonym: syntheticCitizen(123_456) }, first: 50 },
    { name: "by app (busiest)", filter: { app: SYNTHETIC_APPS[0]! }, first: 50 },
    { name: "by app (quiet)", filter: { app: quietApp }, first: 50 },
    { name: `by field (common: ${COMMON_FIELD})`, filter: { field: COMMON_FIELD }, first: 50 },
    { name: `by field (rare: ${RARE_FIELD})`, filter: { field: RARE_FIELD }, first: 50 },
    { name: "by time range (last day)", filter: { since: dayAgo, until: newest }, first: 50 },
    { name: "citizen accessLog", filter: { citizenPseudonym: syntheticCitizen(0) }, first: 20 },
  ];
  const reports: ReadReport[] = [];
  for (const readCase of cases) {
    const pages: Array<{ page: "first" | "deep"; after: string | null }> = [{ page: "first", after: null }];
    if (readCase.name !== "citizen accessLog" && !readCase.name.startsWith("audit page")) {
      const cursor = await deepCursor(log, readCase.filter, 2000);
      if (cursor) pages.push({ page: "deep", after: cursor });
    }
    for (const { page, after } of pages) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < options.samples; i++) {
        const begin = performance.now();
        const result = await queryAuditRecords(log.database.prisma, readCase.filter, { first: readCase.first, after });
        times.push(performance.now() - begin);
        rows = result.records.length;
      }
      times.sort((a, b) => a - b);
      const statement = lastStatement();
      let plan = "";
      if (statement) {
        try {
          const explained = await log.database.session.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.sql}`, statement.params);
          plan = explained.map((row) => row["QUERY PLAN"]).join("\n");
        } catch (error) {
          plan = `(EXPLAIN failed: ${(error as Error).message})\n${statement.sql}`;
        }
      }
      const execution = /Execution Time: ([\d.]+) ms/.exec(plan);
      reports.push({ name: readCase.name, page, p50Ms: round(percentile(times, 50), 2), p99Ms: round(percentile(times, 99), 2), dbMs: execution ? Number(execution[1]) : null, rows, plan });
      progress(`read ${readCase.name} ${page}: p50 ${reports.at(-1)!.p50Ms} ms, p99 ${reports.at(-1)!.p99Ms} ms`);
    }
  }
  return reports;
}

/** The secondary indexes of audit_record (migrations 0005 and 0007): dropped while seeding, built once after. */
const SECONDARY_INDEXES: Array<{ name: string; definition: string }> = [
  { name: "audit_record_time_idx", definition: `("time")` },
  { name: "audit_record_app_seq_idx", definition: `("app", "seq")` },
  { name: "audit_record_citizens_idx", definition: `USING GIN ("citizens")` },
  { name: "audit_record_requested_fields_idx", definition: `USING GIN ("requested_fields")` },
];

async function seed(serverUrl: string, options: AuditBenchOptions, pseudonymKey: string): Promise<{ seconds: number; recordsPerSecond: number; indexSeconds: number; reused: boolean }> {
  const name = "bench_audit";
  if (options.reuse) {
    try {
      const log = await openBenchLog(serverUrl, name, pseudonymKey);
      const [head] = await log.database.session.query<{ seq: string }>("SELECT seq::text AS seq FROM audit_chain_head");
      await log.database.close();
      if (Number(head?.seq ?? 0) >= options.records) return { seconds: 0, recordsPerSecond: 0, indexSeconds: 0, reused: true };
    } catch {
      // not there yet
    }
  }
  await recreateDatabase(serverUrl, name);
  const log = await openBenchLog(serverUrl, name, pseudonymKey);
  const to = new Date(Date.now() - 3_600_000);
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - (options.months - 1), 1));
  await ensureSyntheticPartitions(log.database.session, from, to);
  const client = new pg.Client({ connectionString: withDatabaseName(serverUrl, name) });
  await client.connect();
  // Built once after the COPY rather than row by row during it.
  for (const index of SECONDARY_INDEXES) await client.query(`DROP INDEX IF EXISTS "${index.name}"`);
  const begin = performance.now();
  const pseudonymize = createCitizenPseudonymizer(readFileSync(pseudonymKey, "utf8").trim());
  const citizen = (index: number) => pseudonymize(syntheticResidentId(index));
  const last = await copySyntheticRecords(client, syntheticAuditRecords({ count: options.records, from, to, citizen }), (written) =>
    progress(`seeded ${written.toLocaleString("en")} records (${Math.round(written / ((performance.now() - begin) / 1000)).toLocaleString("en")}/s)`),
  );
  const seconds = (performance.now() - begin) / 1000;
  const session = { exec: async (sql: string) => void (await client.query(sql)), query: async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[] };
  if (last) await setChainHead(session, last);
  const indexBegin = performance.now();
  await client.query("SET maintenance_work_mem = '512MB'");
  for (const index of SECONDARY_INDEXES) {
    progress(`CREATE INDEX ${index.name}`);
    await client.query(`CREATE INDEX "${index.name}" ON "audit_record" ${index.definition}`);
  }
  const indexSeconds = (performance.now() - indexBegin) / 1000;
  progress("ANALYZE");
  await client.query("VACUUM (ANALYZE) audit_record");
  await client.end();
  progress("audit rollups catch up");
  await refreshAuditRollups(log.database.prisma);
  await log.database.close();
  return { seconds: round(seconds), recordsPerSecond: Math.round(options.records / seconds), indexSeconds: round(indexSeconds), reused: false };
}

export async function runAuditBench(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(AUDIT_USAGE);
    return;
  }
  const options = parse(argv);
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error(`--audit needs DATABASE_URL (a PostgreSQL server)\n${AUDIT_USAGE}`);
  const workDir = mkdtempSync(join(tmpdir(), "audit-bench-"));
  // The keys stay with the reusable database: its citizens are pseudonyms under this key.
  const keys = await ensureDevKeys(BENCH_DATA_DIR);
  const gatewayJwks = publicJwksOfPrivateKey(keys.gatewayPrivate);
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  if (options.seedOnly) {
    const seeded = await seed(serverUrl, options, keys.auditPseudonymKey);
    progress(`seeded: ${JSON.stringify(seeded)}`);
    return;
  }

  // 1a. Ingest into an empty log.
  progress(`ingest into an empty log: ${options.producers} producers, ${options.ingestSeconds} s`);
  await recreateDatabase(serverUrl, "bench_audit_empty");
  const empty = await openBenchLog(serverUrl, "bench_audit_empty", keys.auditPseudonymKey);
  await measureIngest(empty, { ...options, ingestSeconds: 2 }, 0, false, gatewayJwks); // warm-up
  await recreateDatabaseContents(empty);
  const ingestEmpty = await measureIngest(empty, options, 0, true, gatewayJwks);
  await empty.database.close();
  await recreateDatabase(serverUrl, "bench_audit_empty");
  progress(`ingest at 0: ${ingestEmpty.recordsPerSecond}/s, p50 ${ingestEmpty.commitLatencyMs.p50} ms, p99 ${ingestEmpty.commitLatencyMs.p99} ms`);

  // 2. Seed.
  progress(`seeding ${options.records.toLocaleString("en")} records over ${options.months} months`);
  const seeded = await seed(serverUrl, options, keys.auditPseudonymKey);
  const log = await openBenchLog(serverUrl, "bench_audit", keys.auditPseudonymKey);
  const [size] = await log.database.session.query<{ bytes: string }>(
    "SELECT sum(pg_total_relation_size(inhrelid))::text AS bytes FROM pg_inherits WHERE inhparent = to_regclass('audit_record')",
  );

  // 3. Reads at size.
  const reads = await measureReads(log, options);

  // 4. Full verification (streaming), then incremental after new records.
  progress("verify --full");
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const headsPath = join(workDir, "audit-heads.jsonl");
  const signing = startChainHeadSigning({ prisma: log.database.prisma, key: await loadSigningKey(keys.gatewayPrivate), path: headsPath, intervalMs: 3_600_000 });
  await signing.signNow();
  const rssBeforeVerify = process.memoryUsage().rss;
  let begin = performance.now();
  const full = await verifyAuditChain({ session: log.database.session, gatewayJwks, headsPath, mode: "full" });
  const fullSeconds = (performance.now() - begin) / 1000;
  clearInterval(sampler);
  progress(`verify --full: ${full.records} records in ${round(fullSeconds)} s (${Math.round(full.records / fullSeconds)}/s), ok=${full.ok}`);

  // 1b. Ingest into the seeded log (also the new records the incremental verification covers).
  const ingestFull = await measureIngest(log, options, options.records, false, gatewayJwks);
  progress(`ingest at ${options.records}: ${ingestFull.recordsPerSecond}/s, p50 ${ingestFull.commitLatencyMs.p50} ms, p99 ${ingestFull.commitLatencyMs.p99} ms`);
  await signing.signNow();
  await signing.stop();
  begin = performance.now();
  const incremental = await verifyAuditChain({ session: log.database.session, gatewayJwks, headsPath, mode: "incremental" });
  const incrementalSeconds = (performance.now() - begin) / 1000;
  progress(`verify (incremental): ${incremental.checked} records in ${round(incrementalSeconds, 2)} s, ok=${incremental.ok}`);

  // 5. Archive the oldest month, verify the archive.
  const [oldest] = await log.database.session.query<{ month: string }>("SELECT to_char(min(committed_at) AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM audit_record");
  const archiveDir = join(workDir, "archive");
  mkdirSync(archiveDir, { recursive: true });
  progress(`archive ${oldest!.month}`);
  begin = performance.now();
  const archived = await archiveAuditMonth({ session: log.database.session, month: oldest!.month, dir: archiveDir, key: await loadSigningKey(keys.gatewayPrivate), gatewayJwks });
  const archiveSeconds = (performance.now() - begin) / 1000;
  begin = performance.now();
  const archiveCheck = await verifyAuditArchive(archived.file, gatewayJwks);
  const verifyArchiveSeconds = (performance.now() - begin) / 1000;
  await log.database.session.query("DELETE FROM audit_archive WHERE month = $1", [oldest!.month]); // the bench database stays reusable
  await log.database.close();

  const report = {
    kind: "audit",
    startedAt,
    command: `npm run bench -- ${argv.join(" ")}`,
    machine,
    records: options.records,
    tableMiB: mib(Number(size?.bytes ?? 0)),
    seed: seeded,
    ingest: { empty: ingestEmpty, seeded: ingestFull, goalRecordsPerSecond: 10_000 },
    reads: { goalP99Ms: 50, cases: reads },
    verify: {
      full: { ok: full.ok, records: full.records, seconds: round(fullSeconds), recordsPerSecond: Math.round(full.records / fullSeconds), goalRecordsPerSecond: 200_000 },
      incremental: { ok: incremental.ok, checked: incremental.checked, fromSeq: incremental.fromSeq, seconds: round(incrementalSeconds, 3), recordsPerSecond: Math.round(incremental.checked / incrementalSeconds) },
      memory: { rssBeforeMiB: mib(rssBeforeVerify), peakRssMiB: mib(peakRss) },
    },
    archive: {
      month: archived.manifest.month,
      records: archived.manifest.count,
      seconds: round(archiveSeconds),
      recordsPerSecond: Math.round(archived.manifest.count / archiveSeconds),
      fileMiB: mib(statSync(archived.file).size),
      verifyOk: archiveCheck.ok,
      verifySeconds: round(verifyArchiveSeconds),
      verifyRecordsPerSecond: Math.round(archiveCheck.records / verifyArchiveSeconds),
    },
  };
  rmSync(workDir, { recursive: true, force: true });

  const lines = renderAuditReport(report);
  console.log(lines.join("\n"));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const plans = reads.map((r) => `### ${r.name}, ${r.page} page\n\n\`\`\`\n${r.plan}\n\`\`\`\n`).join("\n");
  writeFileSync(join(RESULTS_DIR, `audit-${stamp}.md`), `# Audit bench ${startedAt}\n\n\`${report.command}\`\n\n\`\`\`\n${lines.join("\n")}\n\`\`\`\n\n## Query plans\n\n${plans}`);
  writeFileSync(join(RESULTS_DIR, `audit-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) console.log(JSON.stringify(report));
}

/** Empties the warm-up's records (a fresh database, same connection settings). */
async function recreateDatabaseContents(log: AuditLog): Promise<void> {
  await log.database.session.exec(
    "BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM audit_record; UPDATE audit_chain_head SET seq = 0, hash = repeat('0', 64); DELETE FROM audit_verify_checkpoint; COMMIT;",
  );
  // The writer caches the head: a commit finds it moved and re-reads it.
}

type AuditReport = {
  records: number;
  tableMiB: number;
  machine: ReturnType<typeof describeMachine>;
  seed: { seconds: number; recordsPerSecond: number; reused: boolean };
  ingest: { empty: IngestReport; seeded: IngestReport };
  reads: { cases: ReadReport[] };
  verify: {
    full: { ok: boolean; records: number; seconds: number; recordsPerSecond: number };
    incremental: { ok: boolean; checked: number; fromSeq: string; seconds: number; recordsPerSecond: number };
    memory: { rssBeforeMiB: number; peakRssMiB: number };
  };
  archive: { month: string; records: number; seconds: number; recordsPerSecond: number; fileMiB: number; verifyOk: boolean; verifySeconds: number; verifyRecordsPerSecond: number };
};

function renderAuditReport(report: AuditReport): string[] {
  const mark = (ok: boolean) => (ok ? "met" : "NOT met");
  const lines: string[] = [];
  const m = report.machine;
  lines.push(`audit log bench on PostgreSQL: ${report.records.toLocaleString("en")} records (${report.tableMiB} MiB with indexes); ${m.nproc} cores, load ${m.loadAverageAtStart} at start`);
  lines.push(
    report.seed.reused
      ? "seed: reused database bench_audit"
      : `seed: ${report.records.toLocaleString("en")} records in ${report.seed.seconds} s (${report.seed.recordsPerSecond.toLocaleString("en")}/s, COPY, chain computed in bulk)`,
  );
  lines.push("");
  lines.push("ingest (real writer)            rate/s   goal ≥10,000   commit p50   p99      mean batch  largest  chain");
  for (const ingest of [report.ingest.empty, report.ingest.seeded]) {
    lines.push(
      `  at ${ingest.recordsAtStart.toLocaleString("en").padEnd(12)} ${String(ingest.producers).padStart(3)} producers ${String(ingest.recordsPerSecond).padStart(7)}   ${mark(ingest.recordsPerSecond >= 10_000).padEnd(13)}  ${String(ingest.commitLatencyMs.p50).padStart(7)} ms ${String(ingest.commitLatencyMs.p99).padStart(7)} ms ${String(ingest.batch.mean).padStart(8)} ${String(ingest.batch.largest).padStart(8)}  ${ingest.recordsAtStart === 0 ? (ingest.chainVerifies ? "verifies" : "BROKEN") : ""}`,
    );
  }
  lines.push(`  writer latency at 0 vs ${report.records.toLocaleString("en")}: p50 ${report.ingest.empty.commitLatencyMs.p50} → ${report.ingest.seeded.commitLatencyMs.p50} ms, p99 ${report.ingest.empty.commitLatencyMs.p99} → ${report.ingest.seeded.commitLatencyMs.p99} ms (goal: no growth)`);
  lines.push(`  memory of the process hosting the writer: RSS ${report.ingest.empty.rssMiB} MiB at 0, ${report.ingest.seeded.rssMiB} MiB at ${report.records.toLocaleString("en")} (goal: flat)`);
  lines.push("");
  lines.push("reads (keyset, newest first; in-process queryAuditRecords)  page    p50 ms   p99 ms   goal p99 <50 ms  db ms  rows");
  for (const read of report.reads.cases) {
    lines.push(`  ${read.name.padEnd(57)} ${read.page.padEnd(6)} ${String(read.p50Ms).padStart(7)} ${String(read.p99Ms).padStart(8)}   ${mark(read.p99Ms < 50).padEnd(15)} ${String(read.dbMs ?? "-").padStart(6)}  ${read.rows}`);
  }
  lines.push("  (db ms: PostgreSQL's execution time of one run, EXPLAIN ANALYZE; plans in the saved report)");
  lines.push("");
  const v = report.verify;
  lines.push(`verify --full: ${v.full.records.toLocaleString("en")} records in ${v.full.seconds} s = ${v.full.recordsPerSecond.toLocaleString("en")}/s (goal ≥200,000/s: ${mark(v.full.recordsPerSecond >= 200_000)}), ok=${v.full.ok}; RSS ${v.memory.rssBeforeMiB} MiB before, peak ${v.memory.peakRssMiB} MiB (constant memory)`);
  lines.push(`verify (incremental, from seq ${v.incremental.fromSeq}): ${v.incremental.checked.toLocaleString("en")} new records in ${v.incremental.seconds} s = ${v.incremental.recordsPerSecond.toLocaleString("en")}/s, ok=${v.incremental.ok} (cost proportional to the new records)`);
  const a = report.archive;
  lines.push(`archive ${a.month}: ${a.records.toLocaleString("en")} records in ${a.seconds} s (${a.recordsPerSecond.toLocaleString("en")}/s), ${a.fileMiB} MiB gzipped JSON lines + signed manifest; verify-archive ${a.verifySeconds} s (${a.verifyRecordsPerSecond.toLocaleString("en")}/s), ok=${a.verifyOk}`);
  return lines;
}
