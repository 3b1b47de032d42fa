// Measures the audit page's patterns at size on the PostgreSQL server named by DATABASE_URL:
// npx tsx scripts/bench/auditInsightsBench.ts [--records N] [--reuse]  (default 1,000,000 synthetic records over 30 days;
// --reuse keeps the database of the last run and its rollups).
// Prints the rollups' catch-up rate, the cost of a view (auditSummary, auditAnomalies) once they are
// current, the cost of an incremental refresh, and the same aggregate computed from audit_record for contrast.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { DEFAULT_ANOMALY_THRESHOLDS } from "../../gateway/audit/insights/AnomalyThresholds.ts";
import { detectAuditAnomalies } from "../../gateway/audit/insights/detectAuditAnomalies.ts";
import { fieldLevelsOf } from "../../gateway/audit/insights/fieldLevelOf.ts";
import { refreshAuditRollups } from "../../gateway/audit/insights/refreshAuditRollups.ts";
import { summarizeAudit } from "../../gateway/audit/insights/summarizeAudit.ts";
import { openAuditLog } from "../../gateway/audit/openAuditLog.ts";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { ensureDevKeys } from "../../platform/security/keys.ts";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { copySyntheticRecords, ensureSyntheticPartitions, setChainHead, syntheticAuditRecords } from "./syntheticAuditLog.ts";

const HOUR = 3_600_000;
const NAME = "bench_audit_insights";

async function timed<T>(run: () => Promise<T>, times = 1): Promise<{ ms: number; value: T }> {
  const samples: number[] = [];
  let value!: T;
  for (let i = 0; i < times; i++) {
    const begin = performance.now();
    value = await run();
    samples.push(performance.now() - begin);
  }
  samples.sort((a, b) => a - b);
  return { ms: Math.round(samples[samples.length >> 1]! * 10) / 10, value };
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error("DATABASE_URL must name a PostgreSQL server");
  const flag = process.argv.indexOf("--records");
  const records = flag > 0 ? Number(process.argv[flag + 1]) : 1_000_000;
  const reuse = process.argv.includes("--reuse");
  if (!reuse) {
    const admin = new pg.Client({ connectionString: withDatabaseName(serverUrl, "postgres") });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
    await admin.end();
  }
  const keys = await ensureDevKeys(mkdtempSync(join(tmpdir(), "insights-bench-")));
  const log = await openAuditLog({ auditDatabase: { kind: "postgres", url: withDatabaseName(serverUrl, NAME), databaseName: NAME }, auditPseudonymKeyPath: keys.auditPseudonymKey });
  const { prisma, session } = log.database;
  const client = new pg.Client({ connectionString: withDatabaseName(serverUrl, NAME) });
  await client.connect();
  let to = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR);
  let last: { seq: bigint; hash: string } | null;
  if (reuse) {
    const [head] = await session.query<{ seq: string; hash: string; time: Date }>(`SELECT "seq"::text AS "seq", "hash", "time" FROM "audit_record" ORDER BY "seq" DESC LIMIT 1`);
    if (!head) throw new Error("--reuse: no records from an earlier run");
    last = { seq: BigInt(head.seq), hash: head.hash };
    to = new Date(Math.floor(head.time.getTime() / HOUR) * HOUR + HOUR);
    const caughtUp = await timed(() => refreshAuditRollups(prisma));
    console.log(`reused ${head.seq} records; rollups caught up ${caughtUp.value} more in ${caughtUp.ms} ms`);
  } else {
    const from = new Date(to.getTime() - 30 * 24 * HOUR);
    await ensureSyntheticPartitions(session, from, to);
    const seedBegin = performance.now();
    last = await copySyntheticRecords(client, syntheticAuditRecords({ count: records, from, to }), (n) => console.error(`seeded ${n.toLocaleString("en")}`));
    if (last) await setChainHead(session, last as never);
    await client.query("ANALYZE audit_record");
    console.log(`seeded ${records.toLocaleString("en")} records in ${((performance.now() - seedBegin) / 1000).toFixed(1)} s`);
    const catchUp = await timed(() => refreshAuditRollups(prisma));
    console.log(`rollups catch up from empty: ${catchUp.ms} ms for ${catchUp.value} records (${Math.round(Number(catchUp.value) / (catchUp.ms / 1000)).toLocaleString("en")}/s)`);
  }
  const levelOf = fieldLevelsOf(readFileSync(fileURLToPath(new URL("../../schema/supergraph.graphql", import.meta.url)), "utf8"));
  for (const days of [1, 7, 30]) {
    const range = { since: new Date(to.getTime() - days * 24 * HOUR), until: to };
    const summary = await timed(() => summarizeAudit(prisma, { ...range, topApps: 10 }, levelOf), 3);
    const anomalies = await timed(() => detectAuditAnomalies(prisma, range, DEFAULT_ANOMALY_THRESHOLDS), 3);
    const scan = await timed(
      () => session.query(`SELECT date_trunc('hour', "time"), "app", "purpose", count(*), count(*) FILTER (WHERE "data_released") FROM "audit_record" WHERE "time" >= $1 AND "time" < $2 GROUP BY 1, 2, 3`, [range.since, range.until]),
      3,
    );
    console.log(`${String(days).padStart(2)} days: auditSummary ${summary.ms} ms (${summary.value.series.length} series rows), auditAnomalies ${anomalies.ms} ms (${anomalies.value.length} flags); the hourly series straight from audit_record: ${scan.ms} ms`);
  }
  const more = 10_000;
  const extra = await copySyntheticRecords(client, syntheticAuditRecords({ count: more, from: new Date(to.getTime() - HOUR), to, after: { seq: last!.seq, hash: last!.hash }, seed: 7 }));
  if (extra) await setChainHead(session, extra);
  const increment = await timed(() => refreshAuditRollups(prisma));
  console.log(`incremental refresh: ${increment.ms} ms for ${increment.value} new records`);
  const sizes = await session.query<{ name: string; rows: string }>(
    `SELECT relname AS name, n_live_tup::text AS rows FROM pg_stat_user_tables WHERE relname LIKE 'audit_rollup_%' ORDER BY relname`,
  );
  console.log(`rollup rows: ${sizes.map((s) => `${s.name.replace("audit_rollup_", "")} ${Number(s.rows).toLocaleString("en")}`).join(", ")}`);
  await client.end();
  await log.database.close();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
