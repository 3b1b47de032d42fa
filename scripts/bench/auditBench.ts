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
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { archiveAuditMonth, verifyAuditArchive } from "../../gateway/audit/auditArchive.ts";
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { openAuditLog, type AuditLog } from "../../gateway/audit/openAuditLog.ts";
import { createCitizenPseudonymizer } from "../../gateway/audit/createCitizenPseudonymizer.ts";
import { refreshAuditRollups } from "../../gateway/audit/insights/refreshAuditRollups.ts";
import { queryAuditRecords, type AuditRecordFilter } from "../../gateway/audit/queryAuditRecords.ts";
import { startChainHeadSigning } from "../../gateway/audit/startChainHeadSigning.ts";
import { cpuMillis } from "./procStats.ts";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import { verifyAuditChain } from "../../gateway/audit/verifyAuditChain.ts";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { ensureDevKeys, loadSigningKey, publicJwksOfPrivateKey } from "../../platform/security/keys.ts";
import { describeMachine } from "./machine.ts";
import { accessLog, auditPageFirstLoad, auditPageMoreFlags, auditRecordsPage, rssMiBOf, startAuditGateway, type AuditGateway } from "./auditHttpReads.ts";
import { RESULTS_DIR } from "./report.ts";
import {
  COMMON_FIELD,
  RARE_FIELD,
  SYNTHETIC_APPS,
  copySyntheticRecords,
  ensureSyntheticPartitions,
  insertSyntheticRecords,
  setChainHead,
  syntheticAuditRecords,
  BUSY_CITIZEN,
  TYPICAL_CITIZEN,
  syntheticCitizen,
  syntheticResidentId,
} from "./syntheticAuditLog.ts";

/** Where the bench keeps the keys of database bench_audit (its pseudonym key, its gateway key). */
const BENCH_DATA_DIR = resolve(".data/bench-audit");

/**
 * The pseudonym key of the synthetic citizens in bench_audit: fixed (nothing
 * here is secret), so that any checkout can reuse a database seeded by
 * another and still ask for a citizen by resident id.
 */
const BENCH_PSEUDONYM_KEY = "2a721f33e6d9ecbe7fbf59fcbcd391f3c71cd5d3e7230843f162f6581ce1ba8e";

interface AuditBenchOptions {
  records: number;
  months: number;
  ingestSeconds: number;
  producers: number;
  reuse: boolean;
  seedOnly: boolean;
  json: boolean;
  samples: number;
  /** The seeded database. @default bench_audit */
  database: string;
  /** Which parts to run (all by default). */
  only: Set<string>;
  /** Where the gateway writes a heap snapshot before the reads and after each round of more (none by default). */
  heapSnapshots: string | null;
  /** Where the gateway writes a CPU profile of its whole run (none by default). */
  cpuProfiles: string | null;
}

const PARTS = ["ingest", "reads", "verify", "archive"];

export const AUDIT_USAGE = `npm run bench -- --audit [options]   (needs DATABASE_URL: a PostgreSQL server)
  --audit-records N     synthetic records to seed (10000000)
  --audit-months N      months the seeded records span, ending now (12)
  --audit-seconds S     seconds of each ingest measurement (10)
  --audit-producers N   concurrent producers feeding the writer (64)
  --audit-samples N     runs of each read query (400: a p99 of 100 runs is in effect the second-slowest)
  --audit-reuse         reuse database bench_audit if it already holds the records
  --audit-seed-only     only seed database bench_audit (then run again with --audit-reuse)
  --audit-database D    the seeded database's name (bench_audit)
  --audit-only LIST     only these parts, comma-separated: ingest,reads,verify,archive (all)
  --audit-heap-snapshots DIR   the gateway writes a heap snapshot into DIR before the reads and after each round (what grows)
  --audit-cpu-profile DIR      the gateway writes a CPU profile of its run into DIR (where a read's time goes)
  --json                print one JSON line of the results at the end`;

function parse(argv: readonly string[]): AuditBenchOptions {
  const options: AuditBenchOptions = { records: 10_000_000, months: 12, ingestSeconds: 10, producers: 64, reuse: false, seedOnly: false, json: false, samples: 400, only: new Set(PARTS), database: "bench_audit", heapSnapshots: null, cpuProfiles: null };
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
    else if (flag === "--audit-database") options.database = argv[++i] ?? "bench_audit";
    else if (flag === "--audit-heap-snapshots") options.heapSnapshots = resolve(argv[++i] ?? ".");
    else if (flag === "--audit-cpu-profile") options.cpuProfiles = resolve(argv[++i] ?? ".");
    else if (flag === "--audit-only") {
      options.only = new Set((argv[++i] ?? "").split(","));
      for (const part of options.only) if (!PARTS.includes(part)) throw new Error(`--audit-only: unknown part ${part} (${PARTS.join(", ")})`);
    }
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
  /** The load average when it ended. */
  load: number[];
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
    load: loadAverage(),
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
  /** Over HTTP through the gateway (what an auditor or citizen waits for). */
  p50Ms: number;
  p99Ms: number;
  /** The same read in-process (queryAuditRecords on the gateway's own client), without HTTP and GraphQL. */
  inProcessP50Ms: number | null;
  inProcessP99Ms: number | null;
  /** PostgreSQL's own execution time of the statements of one read (EXPLAIN ANALYZE). */
  dbMs: number | null;
  rows: number;
  plan: string;
}

/** The cursor of a deep page: the seq after the (depth)th matching record, found once (not timed). */
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

/** Prisma's audit_record statements since the last call, for EXPLAIN. */
function statementsOf(log: AuditLog): () => Array<{ sql: string; params: unknown[] }> {
  let seen: Array<{ sql: string; params: unknown[] }> = [];
  (log.database.prisma as any).$on("query", (event: { query: string; params: string }) => {
    if (/FROM (?:"public"\.)?"audit_record"/.test(event.query)) {
      try {
        seen.push({ sql: event.query, params: JSON.parse(event.params) });
      } catch {
        // not explainable
      }
    }
  });
  return () => {
    const taken = seen;
    seen = [];
    return taken;
  };
}

function timesOf(times: number[]): { p50: number; p99: number } {
  times.sort((a, b) => a - b);
  return { p50: round(percentile(times, 50), 2), p99: round(percentile(times, 99), 2) };
}

/**
 * Runs before the timed ones: a read's first runs on a gateway just started pay once for what a
 * running gateway has long done (each pooled connection's first statement of a kind, the query
 * plan, the agency's first lookups), a few of them in turn, not only the first.
 */
const WARM_RUNS = 10;

async function sample(samples: number, run: () => Promise<number>): Promise<{ p50: number; p99: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < WARM_RUNS; i++) await run();
  for (let i = 0; i < samples; i++) {
    const begin = performance.now();
    rows = await run();
    times.push(performance.now() - begin);
  }
  return { ...timesOf(times), rows };
}

type FirstLoadReport = { p50Ms: number; p99Ms: number; rows: number; kB: number; flags: number; totalFlags: number; more: { p50Ms: number; p99Ms: number; flags: number; kB: number } | null };

async function measureReads(log: AuditLog, gateway: AuditGateway, options: AuditBenchOptions): Promise<{ cases: ReadReport[]; firstLoad: FirstLoadReport }> {
  const statements = statementsOf(log);
  const [top] = await log.database.session.query<{ max: string }>("SELECT max(time)::text AS max FROM audit_record");
  const newest = new Date(top!.max);
  const dayAgo = new Date(newest.getTime() - 86_400_000);
  const pseudonymize = log.pseudonymize;
  const busy = syntheticResidentId(BUSY_CITIZEN);
  const typical = syntheticResidentId(TYPICAL_CITIZEN);
  const cases: Array<{ name: string; filter: AuditRecordFilter; http: Record<string, unknown>; first: number; accessLog?: boolean }> = [
    { name: "by citizen (busy: 0.1% of records)", filter: { citizenPseudonym: pseudonymize(busy) }, http: { citizen: busy }, first: 50 },
    { name: "by citizen (typical)", filter: { citizenPseudonym: pseudonymize(typical) }, http: { citizen: typical }, first: 50 },
    { name: "by app (busiest)", filter: { app: SYNTHETIC_APPS[0]! }, http: { app: SYNTHETIC_APPS[0]! }, first: 50 },
    { name: "by app (quiet)", filter: { app: SYNTHETIC_APPS[19]! }, http: { app: SYNTHETIC_APPS[19]! }, first: 50 },
    { name: `by field (common: ${COMMON_FIELD})`, filter: { field: COMMON_FIELD }, http: { field: COMMON_FIELD }, first: 50 },
    { name: `by field (rare: ${RARE_FIELD})`, filter: { field: RARE_FIELD }, http: { field: RARE_FIELD }, first: 50 },
    { name: "by time range (last day)", filter: { since: dayAgo, until: newest }, http: { since: dayAgo.toISOString(), until: newest.toISOString() }, first: 50 },
    { name: "citizen accessLog (busy citizen)", filter: { citizenPseudonym: pseudonymize(busy) }, http: {}, first: 20, accessLog: true },
  ];
  const reports: ReadReport[] = [];
  for (const readCase of cases) {
    const pages: Array<{ page: "first" | "deep"; after: string | null }> = [{ page: "first", after: null }];
    if (!readCase.accessLog) {
      const cursor = await deepCursor(log, readCase.filter, 2000);
      if (cursor) pages.push({ page: "deep", after: cursor });
    }
    for (const { page, after } of pages) {
      // In-process as the gateway reads: plain SQL on the driver (the statements for EXPLAIN come from Prisma's log below).
      const inProcess = await sample(options.samples, async () => (await queryAuditRecords(log.database.session, readCase.filter, { first: readCase.first, after })).records.length);
      statements();
      await queryAuditRecords(log.database.prisma, readCase.filter, { first: readCase.first, after });
      let plan = "";
      let dbMs = 0;
      for (const statement of statements()) {
        try {
          const explained = await log.database.session.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.sql}`, statement.params);
          const text = explained.map((row) => row["QUERY PLAN"]).join("\n");
          dbMs += Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? 0) + Number(/Planning Time: ([\d.]+) ms/.exec(text)?.[1] ?? 0);
          plan += `${plan ? "\n\n" : ""}${text}`;
        } catch (error) {
          plan += `(EXPLAIN failed: ${(error as Error).message})\n${statement.sql}`;
        }
      }
      const http = await sample(options.samples, () =>
        readCase.accessLog ? accessLog(gateway, busy) : auditRecordsPage(gateway, readCase.http, readCase.first, after),
      );
      reports.push({
        name: readCase.name,
        page,
        p50Ms: http.p50,
        p99Ms: http.p99,
        inProcessP50Ms: inProcess.p50,
        inProcessP99Ms: inProcess.p99,
        dbMs: round(dbMs, 2),
        rows: http.rows,
        plan,
      });
      progress(`read ${readCase.name} ${page}: HTTP p50 ${http.p50} ms, p99 ${http.p99} ms; in-process p50 ${inProcess.p50}, p99 ${inProcess.p99}; db ${round(dbMs, 2)} ms`);
    }
  }
  let loaded = await auditPageFirstLoad(gateway);
  const firstLoad = await sample(options.samples, async () => (loaded = await auditPageFirstLoad(gateway)).records);
  progress(`audit page first load: p50 ${firstLoad.p50} ms, p99 ${firstLoad.p99} ms, ${round(loaded.bytes / 1024)} kB, ${loaded.flags} of ${loaded.totalFlags} flags`);
  // The page's "More flags": the second page of the same range.
  let more: FirstLoadReport["more"] = null;
  const cursor = loaded.nextCursor;
  if (cursor) {
    let page = await auditPageMoreFlags(gateway, cursor);
    const timed = await sample(options.samples, async () => (page = await auditPageMoreFlags(gateway, cursor)).flags);
    more = { p50Ms: timed.p50, p99Ms: timed.p99, flags: page.flags, kB: round(page.bytes / 1024) };
    progress(`audit page more flags: p50 ${timed.p50} ms, p99 ${timed.p99} ms, ${more.kB} kB`);
  }
  return {
    cases: reports,
    firstLoad: { p50Ms: firstLoad.p50, p99Ms: firstLoad.p99, rows: firstLoad.rows, kB: round(loaded.bytes / 1024), flags: loaded.flags, totalFlags: loaded.totalFlags, more },
  };
}

/** The secondary indexes of audit_record (migrations 0005 and 0007) and audit_record_citizen's (0008): dropped while seeding, built once after. */
const SECONDARY_INDEXES: Array<{ name: string; table: string; definition: string }> = [
  { name: "audit_record_time_idx", table: "audit_record", definition: `("time")` },
  { name: "audit_record_app_seq_idx", table: "audit_record", definition: `("app", "seq")` },
  { name: "audit_record_citizens_idx", table: "audit_record", definition: `USING GIN ("citizens")` },
  { name: "audit_record_requested_fields_idx", table: "audit_record", definition: `USING GIN ("requested_fields")` },
  { name: "audit_record_citizen_citizen_seq_idx", table: "audit_record_citizen", definition: `("citizen", "seq") INCLUDE ("committed_at")` },
];

/** The bench's own records (its auditor's and citizen's reads, its ingest) that may follow the agencies' last synthetic one. */
const OWN_RECORDS_TOLERATED = 1_000;
/** Agency traffic appended after them when there are more. */
const TOP_UP_RECORDS = 1_000;

/**
 * On a reused database, the agencies' traffic goes on after the bench's own
 * records: every run leaves a few thousand (its reads are audited), all at the
 * newest end, and none asks for an agency field. Left there, a newest-first
 * read by a common field scans back past all of them, every run a little
 * more; in production the newest records are the agencies' traffic. So when
 * more than OWN_RECORDS_TOLERATED follow the last synthetic record,
 * TOP_UP_RECORDS of synthetic traffic continue the chain up to now.
 * @returns the records appended
 */
async function topUpAgencyTraffic(log: AuditLog, pseudonymKey: string): Promise<number> {
  const { session } = log.database;
  const [row] = await session.query<{ seq: string; hash: string; committed_at: Date; last_synthetic: string | null }>(
    `SELECT h.seq::text AS seq, h.hash, h.committed_at,
       (SELECT max(seq)::text FROM audit_record WHERE app = ANY($1::text[])) AS last_synthetic
     FROM audit_chain_head h`,
    [SYNTHETIC_APPS],
  );
  if (!row || BigInt(row.seq) - BigInt(row.last_synthetic ?? "0") <= BigInt(OWN_RECORDS_TOLERATED)) return 0;
  const from = new Date(new Date(row.committed_at).getTime() + 1);
  const to = new Date(Date.now() - 1_000);
  if (to <= from) return 0;
  const pseudonymize = createCitizenPseudonymizer(readFileSync(pseudonymKey, "utf8").trim());
  const citizen = (index: number) => pseudonymize(syntheticResidentId(index));
  await ensureSyntheticPartitions(session, from, to);
  const records = syntheticAuditRecords({ count: TOP_UP_RECORDS, from, to, citizen, after: { seq: BigInt(row.seq), hash: row.hash }, seed: Number(BigInt(row.seq) % 1_000_000n) });
  const last = await insertSyntheticRecords(session, records);
  if (last) await setChainHead(session, last);
  await refreshAuditRollups(log.database.prisma);
  return TOP_UP_RECORDS;
}

async function seed(
  serverUrl: string,
  options: AuditBenchOptions,
  pseudonymKey: string,
): Promise<{ seconds: number; recordsPerSecond: number; indexSeconds: number; reused: boolean; toppedUp?: number }> {
  const name = options.database;
  if (options.reuse) {
    let log: AuditLog | undefined;
    let seeded = false;
    try {
      log = await openBenchLog(serverUrl, name, pseudonymKey);
      const [head] = await log.database.session.query<{ seq: string }>("SELECT seq::text AS seq FROM audit_chain_head");
      seeded = Number(head?.seq ?? 0) >= options.records;
    } catch {
      // not there yet
    }
    try {
      if (seeded) return { seconds: 0, recordsPerSecond: 0, indexSeconds: 0, reused: true, toppedUp: await topUpAgencyTraffic(log!, pseudonymKey) };
    } finally {
      await log?.database.close().catch(() => {});
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
    await client.query(`CREATE INDEX "${index.name}" ON "${index.table}" ${index.definition}`);
  }
  const indexSeconds = (performance.now() - indexBegin) / 1000;
  progress("ANALYZE");
  await client.query("VACUUM (ANALYZE) audit_record, audit_record_citizen");
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
  writeFileSync(keys.auditPseudonymKey, BENCH_PSEUDONYM_KEY, { mode: 0o600 });
  const gatewayJwks = publicJwksOfPrivateKey(keys.gatewayPrivate);
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  if (options.seedOnly) {
    const seeded = await seed(serverUrl, options, keys.auditPseudonymKey);
    progress(`seeded: ${JSON.stringify(seeded)}`);
    return;
  }

  const uptime = () => loadAverage();
  const loadAtStart = uptime();
  progress(`load average at start: ${loadAtStart.join(", ")}`);

  // 1a. Ingest into an empty log.
  let ingestEmpty: IngestReport | null = null;
  if (options.only.has("ingest")) {
    progress(`ingest into an empty log: ${options.producers} producers, ${options.ingestSeconds} s`);
    await recreateDatabase(serverUrl, "bench_audit_empty");
    const empty = await openBenchLog(serverUrl, "bench_audit_empty", keys.auditPseudonymKey);
    await measureIngest(empty, { ...options, ingestSeconds: 2 }, 0, false, gatewayJwks); // warm-up
    await recreateDatabaseContents(empty);
    ingestEmpty = await measureIngest(empty, options, 0, true, gatewayJwks);
    await empty.database.close();
    await recreateDatabase(serverUrl, "bench_audit_empty");
    progress(`ingest at 0: ${ingestEmpty.recordsPerSecond}/s, p50 ${ingestEmpty.commitLatencyMs.p50} ms, p99 ${ingestEmpty.commitLatencyMs.p99} ms (load ${ingestEmpty.load.join(", ")})`);
  }

  // 2. Seed (or reuse).
  progress(`seeding ${options.records.toLocaleString("en")} records over ${options.months} months (or reusing bench_audit)`);
  const seeded = await seed(serverUrl, options, keys.auditPseudonymKey);
  const log = await openBenchLog(serverUrl, options.database, keys.auditPseudonymKey);
  const [size] = await log.database.session.query<{ bytes: string }>(
    "SELECT sum(pg_total_relation_size(inhrelid))::text AS bytes FROM pg_inherits WHERE inhparent = to_regclass('audit_record')",
  );
  const [count] = await log.database.session.query<{ seq: string }>("SELECT seq::text AS seq FROM audit_chain_head");
  const recordsAtSize = Number(count?.seq ?? 0);

  // 3. Reads at size, over HTTP through the gateway (and in-process), with the gateway's memory around them.
  let reads: AuditReport["reads"] | null = null;
  if (options.only.has("reads")) {
    const snapshots = options.heapSnapshots;
    if (snapshots) mkdirSync(snapshots, { recursive: true });
    const gateway = await startAuditGateway({
      serverUrl,
      database: options.database,
      keys,
      dataDir: workDir,
      citizenId: syntheticResidentId(BUSY_CITIZEN),
      baseEnv: childEnvironment(),
      gatewayNodeFlags: [
        ...(snapshots ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${snapshots}`] : []),
        ...(options.cpuProfiles ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfiles}`] : []),
      ],
    });
    /** Asks the gateway for a heap snapshot (a full collection first) and waits until it is written. */
    const heapSnapshot = async () => {
      if (!snapshots) return;
      const files = () => readdirSync(snapshots).filter((name) => name.endsWith(".heapsnapshot"));
      const before = files().length;
      process.kill(gateway.pid, "SIGUSR2");
      while (files().length === before) await new Promise((done) => setTimeout(done, 200));
      const file = join(snapshots, files().sort().at(-1)!);
      // Written on the gateway's main thread: done when it stops growing and the gateway answers again.
      for (let size = -1; size !== statSync(file).size; ) {
        size = statSync(file).size;
        await new Promise((done) => setTimeout(done, 1000));
      }
      await accessLog(gateway, syntheticResidentId(BUSY_CITIZEN));
      progress(`heap snapshot ${file} (${mib(statSync(file).size)} MiB)`);
    };
    try {
      await auditPageFirstLoad(gateway); // rollups caught up, caches warm
      await heapSnapshot();
      const rssBefore = rssMiBOf(gateway.pid);
      const load = uptime();
      const measured = await measureReads(log, gateway, options);
      const rssAfterReads = rssMiBOf(gateway.pid);
      // More of the same, in rounds: does the gateway's memory keep growing with the reads, or level off?
      const busy = syntheticResidentId(BUSY_CITIZEN);
      const rounds: Array<{ requests: number; rssMiB: number; minMiB: number; maxMiB: number }> = [];
      for (let round = 0; round < 3; round++) {
        const begin = performance.now();
        let requests = 0;
        // RSS rises with garbage and falls at each major collection: the lowest and highest seen in the round tell whether it levels off.
        const seen: number[] = [];
        const sampler = setInterval(() => seen.push(rssMiBOf(gateway.pid)), 250);
        while (performance.now() - begin < options.ingestSeconds * 1000) {
          await Promise.all([
            auditRecordsPage(gateway, { citizen: busy }, 50, null),
            auditRecordsPage(gateway, { field: RARE_FIELD }, 50, null),
            accessLog(gateway, busy),
            auditPageFirstLoad(gateway),
          ]);
          requests += 5;
        }
        clearInterval(sampler);
        const rssMiB = rssMiBOf(gateway.pid);
        rounds.push({ requests, rssMiB, minMiB: Math.min(rssMiB, ...seen), maxMiB: Math.max(rssMiB, ...seen) });
        await heapSnapshot();
        progress(`gateway RSS ${rssMiB} MiB after ${requests} more requests (${rounds.at(-1)!.minMiB}–${rounds.at(-1)!.maxMiB} MiB during them)`);
      }
      const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
      reads = {
        goalP99Ms: 50,
        load,
        ...measured,
        gatewayRssMiB: { before: rssBefore, afterMeasuredReads: rssAfterReads, after: rounds.at(-1)!.rssMiB, requestsBetween: requests, rounds, atRecords: recordsAtSize },
      };
      progress(`gateway RSS ${rssBefore} MiB before the reads, ${rssAfterReads} after them, ${rounds.map((r) => r.rssMiB).join(" → ")} after ${requests} more requests in ${rounds.length} rounds`);
    } finally {
      await gateway.stop();
    }
  }

  // 4. Full verification (streaming), then ingest at size, then incremental verification of the new records.
  let verify: AuditReport["verify"] | null = null;
  let ingestFull: IngestReport | null = null;
  if (options.only.has("verify") || options.only.has("ingest")) {
    const headsPath = join(workDir, "audit-heads.jsonl");
    const signing = startChainHeadSigning({ session: log.database.session, key: await loadSigningKey(keys.gatewayPrivate), path: headsPath, intervalMs: 3_600_000 });
    await signing.signNow();
    let full: Awaited<ReturnType<typeof verifyAuditChain>> | null = null;
    let fullSeconds = 0;
    let rssBeforeVerify = 0;
    let peakRss = 0;
    let fullLoad: number[] = [];
    let fullCpu: { verifier: number; database: number | null } | null = null;
    if (options.only.has("verify")) {
      progress("verify --full");
      const cpuBefore = process.cpuUsage();
      // The verifier's worker threads connect and disconnect: their backends' CPU is sampled while they run.
      const databaseCpuBefore = await databaseBackendCpuMillis(log.database.session, options.database);
      const databaseCpuSeen = new Map<number, number>();
      let databaseCpuReadable = databaseCpuBefore !== null;
      const sampleDatabaseCpu = async () => {
        const now = await databaseBackendCpuMillis(log.database.session, options.database).catch(() => null);
        if (!now) databaseCpuReadable = false;
        for (const [pid, ms] of now ?? []) databaseCpuSeen.set(pid, Math.max(ms, databaseCpuSeen.get(pid) ?? 0));
      };
      const databaseSampler = setInterval(() => void sampleDatabaseCpu(), 250);
      rssBeforeVerify = process.memoryUsage().rss;
      peakRss = rssBeforeVerify;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
      const begin = performance.now();
      full = await verifyAuditChain({ session: log.database.session, gatewayJwks, headsPath, mode: "full" });
      fullSeconds = (performance.now() - begin) / 1000;
      clearInterval(sampler);
      fullLoad = uptime();
      const cpu = process.cpuUsage(cpuBefore);
      clearInterval(databaseSampler);
      await sampleDatabaseCpu();
      fullCpu = {
        verifier: round((cpu.user + cpu.system) / 1e6),
        database: databaseCpuBefore && databaseCpuReadable ? round([...databaseCpuSeen].reduce((sum, [pid, ms]) => sum + ms - (databaseCpuBefore.get(pid) ?? 0), 0) / 1000) : null,
      };
      progress(`verify --full: ${full.records} records in ${round(fullSeconds)} s (${Math.round(full.records / fullSeconds)}/s), ok=${full.ok} (load ${fullLoad.join(", ")})`);
    }
    if (options.only.has("ingest")) {
      ingestFull = await measureIngest(log, options, recordsAtSize, false, gatewayJwks);
      progress(`ingest at ${recordsAtSize}: ${ingestFull.recordsPerSecond}/s, p50 ${ingestFull.commitLatencyMs.p50} ms, p99 ${ingestFull.commitLatencyMs.p99} ms (load ${ingestFull.load.join(", ")})`);
    }
    await signing.signNow();
    await signing.stop();
    if (full) {
      const begin = performance.now();
      const incremental = await verifyAuditChain({ session: log.database.session, gatewayJwks, headsPath, mode: "incremental" });
      const incrementalSeconds = (performance.now() - begin) / 1000;
      progress(`verify (incremental): ${incremental.checked} records in ${round(incrementalSeconds, 2)} s, ok=${incremental.ok}`);
      verify = {
        load: fullLoad,
        full: { ok: full.ok, records: full.records, seconds: round(fullSeconds), recordsPerSecond: Math.round(full.records / fullSeconds), goalRecordsPerSecond: 200_000, cpuSeconds: fullCpu, rereadInOrder: full.rereadInOrder },
        incremental: { ok: incremental.ok, checked: incremental.checked, fromSeq: incremental.fromSeq, seconds: round(incrementalSeconds, 3), recordsPerSecond: Math.round(incremental.checked / incrementalSeconds) },
        memory: { rssBeforeMiB: mib(rssBeforeVerify), peakRssMiB: mib(peakRss) },
      };
    }
  }

  // 5. Archive the oldest month, verify the archive.
  let archive: AuditReport["archive"] | null = null;
  if (options.only.has("archive")) {
    const [oldest] = await log.database.session.query<{ month: string }>("SELECT to_char(min(committed_at) AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM audit_record");
    const archiveDir = join(workDir, "archive");
    mkdirSync(archiveDir, { recursive: true });
    progress(`archive ${oldest!.month}`);
    let begin = performance.now();
    const archived = await archiveAuditMonth({ session: log.database.session, month: oldest!.month, dir: archiveDir, key: await loadSigningKey(keys.gatewayPrivate), gatewayJwks });
    const archiveSeconds = (performance.now() - begin) / 1000;
    begin = performance.now();
    const archiveCheck = await verifyAuditArchive(archived.file, gatewayJwks);
    const verifyArchiveSeconds = (performance.now() - begin) / 1000;
    await log.database.session.query("DELETE FROM audit_archive WHERE month = $1", [oldest!.month]); // the bench database stays reusable
    archive = {
      load: uptime(),
      month: archived.manifest.month,
      records: archived.manifest.count,
      seconds: round(archiveSeconds),
      recordsPerSecond: Math.round(archived.manifest.count / archiveSeconds),
      fileMiB: mib(statSync(archived.file).size),
      verifyOk: archiveCheck.ok,
      verifySeconds: round(verifyArchiveSeconds),
      verifyRecordsPerSecond: Math.round(archiveCheck.records / verifyArchiveSeconds),
    };
  }
  await log.database.close();

  const report: AuditReport = {
    kind: "audit",
    startedAt,
    command: `npm run bench -- ${argv.join(" ")}`,
    machine,
    loadAtStart,
    loadAtEnd: uptime(),
    records: recordsAtSize,
    tableMiB: mib(Number(size?.bytes ?? 0)),
    seed: seeded,
    ingest: { empty: ingestEmpty, seeded: ingestFull, goalRecordsPerSecond: 10_000 },
    reads,
    verify,
    archive,
  };
  rmSync(workDir, { recursive: true, force: true });

  const lines = renderAuditReport(report);
  console.log(lines.join("\n"));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const plans = (reads?.cases ?? []).map((r) => `### ${r.name}, ${r.page} page\n\n\`\`\`\n${r.plan}\n\`\`\`\n`).join("\n");
  writeFileSync(join(RESULTS_DIR, `audit-${stamp}.md`), `# Audit bench ${startedAt}\n\n\`${report.command}\`\n\n\`\`\`\n${lines.join("\n")}\n\`\`\`\n\n## Query plans\n\n${plans}`);
  writeFileSync(join(RESULTS_DIR, `audit-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) console.log(JSON.stringify({ ...report, reads: reads && { ...reads, cases: reads.cases.map(({ plan: _plan, ...rest }) => rest) } }));
}

/** CPU used so far by each backend connected to `database` (pid → ms), from /proc (same host); null when none is readable. */
async function databaseBackendCpuMillis(session: SqlSession, database: string): Promise<Map<number, number> | null> {
  const backends = await session.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1", [database]);
  const cpu = new Map<number, number>();
  for (const { pid } of backends) {
    try {
      cpu.set(pid, cpuMillis(pid));
    } catch {
      // exited meanwhile
    }
  }
  return backends.length > 0 && cpu.size === 0 ? null : cpu;
}

/** The 1-, 5- and 15-minute load averages. */
function loadAverage(): number[] {
  return loadavg().map((value) => round(value, 2));
}

/** This process's environment without what would point a child elsewhere. */
function childEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/_SUBGRAPH_URL$|_DATABASE_URL$|^DATABASE_URL$|^(PORT|METRICS_PORT|HOST|DATA_DIR|JWKS|GATEWAY_SIGNING_KEY|GATEWAY_JWKS|SUPERGRAPH_PATH|NODE_OPTIONS|AUDIT_.*|REDIS_URL)$/.test(name)) delete env[name];
  }
  return env;
}

/** Empties the warm-up's records (a fresh database, same connection settings). */
async function recreateDatabaseContents(log: AuditLog): Promise<void> {
  await log.database.session.exec(
    "BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM audit_record; UPDATE audit_chain_head SET seq = 0, hash = repeat('0', 64); DELETE FROM audit_verify_checkpoint; COMMIT;",
  );
  // The writer caches the head: a commit finds it moved and re-reads it.
}

type AuditReport = {
  kind: "audit";
  startedAt: string;
  command: string;
  machine: ReturnType<typeof describeMachine>;
  loadAtStart: number[];
  loadAtEnd: number[];
  records: number;
  tableMiB: number;
  seed: { seconds: number; recordsPerSecond: number; indexSeconds: number; reused: boolean; toppedUp?: number };
  ingest: { empty: IngestReport | null; seeded: IngestReport | null; goalRecordsPerSecond: number };
  reads: {
    goalP99Ms: number;
    load: number[];
    cases: ReadReport[];
    firstLoad: FirstLoadReport;
    gatewayRssMiB: { before: number; afterMeasuredReads: number; after: number; requestsBetween: number; rounds?: Array<{ requests: number; rssMiB: number; minMiB?: number; maxMiB?: number }>; atRecords: number };
  } | null;
  verify: {
    load: number[];
    full: {
      ok: boolean;
      records: number;
      seconds: number;
      recordsPerSecond: number;
      goalRecordsPerSecond: number;
      /** CPU used during the run: this process (all its threads), and the database's backends on the bench database (from /proc, sampled every 250 ms, so a backend's last 250 ms may be missed; null when not readable). */
      cpuSeconds: { verifier: number; database: number | null } | null;
      /** Partitions read again in seq order (too fragmented in storage order). */
      rereadInOrder: number;
    };
    incremental: { ok: boolean; checked: number; fromSeq: string; seconds: number; recordsPerSecond: number };
    memory: { rssBeforeMiB: number; peakRssMiB: number };
  } | null;
  archive: { load: number[]; month: string; records: number; seconds: number; recordsPerSecond: number; fileMiB: number; verifyOk: boolean; verifySeconds: number; verifyRecordsPerSecond: number } | null;
};

function renderAuditReport(report: AuditReport): string[] {
  const mark = (ok: boolean) => (ok ? "met" : "NOT met");
  const lines: string[] = [];
  const m = report.machine;
  const load = (values: number[]) => `load ${values.join(" ")}`;
  lines.push(`audit log bench on PostgreSQL: ${report.records.toLocaleString("en")} records (${report.tableMiB} MiB with indexes); ${m.nproc} cores shared with other work; ${load(report.loadAtStart)} at start, ${load(report.loadAtEnd)} at end`);
  lines.push(
    report.seed.reused
      ? `seed: reused database bench_audit${report.seed.toppedUp ? `; ${report.seed.toppedUp.toLocaleString("en")} records of agency traffic appended after the bench's own earlier records` : ""}`
      : `seed: ${report.records.toLocaleString("en")} records in ${report.seed.seconds} s (${report.seed.recordsPerSecond.toLocaleString("en")}/s, COPY, chain computed in bulk), indexes built after in ${report.seed.indexSeconds} s`,
  );
  const ingests = [report.ingest.empty, report.ingest.seeded].filter((i): i is IngestReport => i !== null);
  if (ingests.length > 0) {
    lines.push("");
    lines.push("ingest (real writer, 64 producers)  rate/s   goal ≥10,000   commit p50   p99      mean batch  largest  chain     load");
    for (const ingest of ingests) {
      lines.push(
        `  at ${ingest.recordsAtStart.toLocaleString("en").padEnd(12)} ${String(ingest.producers).padStart(3)} producers ${String(ingest.recordsPerSecond).padStart(7)}   ${mark(ingest.recordsPerSecond >= 10_000).padEnd(13)}  ${String(ingest.commitLatencyMs.p50).padStart(7)} ms ${String(ingest.commitLatencyMs.p99).padStart(7)} ms ${String(ingest.batch.mean).padStart(8)} ${String(ingest.batch.largest).padStart(8)}  ${(ingest.recordsAtStart === 0 ? (ingest.chainVerifies ? "verifies" : "BROKEN") : "").padEnd(8)}  ${ingest.load.join(" ")}`,
      );
    }
    const [a, b] = [report.ingest.empty, report.ingest.seeded];
    if (a && b) {
      lines.push(`  writer latency at 0 vs ${b.recordsAtStart.toLocaleString("en")}: p50 ${a.commitLatencyMs.p50} → ${b.commitLatencyMs.p50} ms, p99 ${a.commitLatencyMs.p99} → ${b.commitLatencyMs.p99} ms (goal: no growth with size)`);
    }
  }
  const r = report.reads;
  if (r) {
    lines.push("");
    lines.push(`reads at ${report.records.toLocaleString("en")} records, over HTTP through the gateway (keyset, newest first), ${load(r.load)}`);
    lines.push("                                                        page     p50 ms   p99 ms  goal p99 <50 ms   in-process p50/p99   db ms  rows");
    const row = (name: string, page: string, p50: number, p99: number, inProcess: string, db: string, rows: number) =>
      `  ${name.padEnd(53)} ${page.padEnd(6)} ${String(p50).padStart(8)} ${String(p99).padStart(8)}  ${mark(p99 < 50).padEnd(15)} ${inProcess.padStart(18)}  ${db.padStart(6)}  ${rows}`;
    for (const read of r.cases) {
      lines.push(row(read.name, read.page, read.p50Ms, read.p99Ms, `${read.inProcessP50Ms}/${read.inProcessP99Ms}`, String(read.dbMs ?? "-"), read.rows));
    }
    const f = r.firstLoad;
    lines.push(row(`audit page first load (25 records + summary + ${f.flags} of ${f.totalFlags} flags, ${f.kB} kB)`, "first", f.p50Ms, f.p99Ms, "-", "-", f.rows));
    if (f.more) lines.push(row(`audit page "More flags" (${f.more.flags} flags, ${f.more.kB} kB)`, "next", f.more.p50Ms, f.more.p99Ms, "-", "-", f.more.flags));
    lines.push("  (db ms: PostgreSQL's planning + execution time of the read's statements, EXPLAIN ANALYZE; plans in the saved report)");
    const g = r.gatewayRssMiB;
    const rounds = g.rounds?.length
      ? ` → ${g.rounds.map((x) => x.rssMiB).join(" → ")} MiB after each of ${g.rounds.length} rounds of more (${g.requestsBetween} requests; lowest–highest during each: ${g.rounds.map((x) => `${x.minMiB}–${x.maxMiB}`).join(", ")} MiB)`
      : `, ${g.after} MiB after ${g.requestsBetween} more`;
    lines.push(`  gateway memory at ${g.atRecords.toLocaleString("en")} records: RSS ${g.before} MiB before the reads, ${g.afterMeasuredReads} MiB after them${rounds} (goal: flat)`);
  }
  const v = report.verify;
  if (v) {
    lines.push("");
    lines.push(`verify --full: ${v.full.records.toLocaleString("en")} records in ${v.full.seconds} s = ${v.full.recordsPerSecond.toLocaleString("en")}/s (goal ≥200,000/s: ${mark(v.full.recordsPerSecond >= 200_000)}), ok=${v.full.ok}; CPU ${v.full.cpuSeconds ? `${v.full.cpuSeconds.verifier} s verifier + ${v.full.cpuSeconds.database ?? "?"} s database` : "?"}; ${v.full.rereadInOrder} partitions read again in seq order; RSS ${v.memory.rssBeforeMiB} MiB before, peak ${v.memory.peakRssMiB} MiB; ${load(v.load)}`);
    lines.push(`verify (incremental, from seq ${v.incremental.fromSeq}): ${v.incremental.checked.toLocaleString("en")} new records in ${v.incremental.seconds} s = ${v.incremental.recordsPerSecond.toLocaleString("en")}/s, ok=${v.incremental.ok} (cost proportional to the new records)`);
  }
  const a = report.archive;
  if (a) {
    lines.push(`archive ${a.month}: ${a.records.toLocaleString("en")} records in ${a.seconds} s (${a.recordsPerSecond.toLocaleString("en")}/s), ${a.fileMiB} MiB gzipped JSON lines + signed manifest; verify-archive ${a.verifySeconds} s (${a.verifyRecordsPerSecond.toLocaleString("en")}/s), ok=${a.verifyOk}; ${load(a.load)}`);
  }
  return lines;
}
