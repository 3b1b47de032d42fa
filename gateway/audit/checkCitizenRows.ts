/**
 * Checks that `audit_record_citizen` (migration 0008) is in step with the
 * records: one row for each citizen each record names, and no row a record
 * does not back. The chain's verification and the archives cover the records
 * only; this side table is what citizen-filtered reads (an auditor's, and a
 * citizen's own "who read my data") walk, so a row removed there hides a
 * record from the citizen it names while the chain still verifies. Only a
 * superuser bypassing the append-only triggers can remove one, or a writer
 * of a version before 0008: this is how an operator finds either.
 *
 * Month by month on PostgreSQL, the whole table at once on PGlite (whose
 * log is not partitioned). Each month is first compared by fingerprint: the
 * count and the sum of a hash, seeded afresh for each run, of every
 * (citizen, seq) on each side; two sequential scans, no sort (about 2 s for
 * a month of 900,000 records here, against 13 s for the exact comparison).
 * The seed is not known in advance, so rows removed cannot be made up for by
 * rows added to keep the sums equal. Only a month whose fingerprints differ
 * is compared row by row, to count and name what is out of step.
 */
import { randomBytes } from "node:crypto";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import { citizenPartitionOf, isPartitioned, listAuditPartitions } from "./auditPartitions.ts";

/** The first few mismatches named per month. */
const EXAMPLES = 10;

export interface CitizenRowsOfMonth {
  /** `YYYY-MM`, or null for the embedded database's one table. */
  month: string | null;
  records: number;
  rows: number;
  /** Citizens a record names with no row: the record is hidden from that citizen's reads. */
  missing: number;
  /** Rows no record backs (reads ignore them: each read checks the record's own citizens). */
  unbacked: number;
  /** The first mismatches, by seq: `seq citizen-pseudonym`. */
  examples: string[];
}

export interface CitizenRowsCheck {
  ok: boolean;
  months: CitizenRowsOfMonth[];
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** @param month only this month (`YYYY-MM`) on PostgreSQL; every month when absent */
export async function checkCitizenRows(session: SqlSession, options: { month?: string } = {}): Promise<CitizenRowsCheck> {
  const months: CitizenRowsOfMonth[] = [];
  if (await isPartitioned(session)) {
    const partitions = (await listAuditPartitions(session)).filter((partition) => !options.month || partition.month === options.month);
    if (options.month && partitions.length === 0) throw new Error(`no partition of the audit log holds ${options.month} (archived and dropped, or not yet created)`);
    for (const partition of partitions) months.push({ month: partition.month, ...(await checkTables(session, quote(partition.table), quote(citizenPartitionOf(partition)))) });
  } else {
    months.push({ month: null, ...(await checkTables(session, "audit_record", "audit_record_citizen")) });
  }
  return { ok: months.every((month) => month.missing === 0 && month.unbacked === 0), months };
}

async function checkTables(session: SqlSession, records: string, citizens: string): Promise<Omit<CitizenRowsOfMonth, "month">> {
  // Each record's citizens once (the writer writes one row per distinct citizen).
  const named = `SELECT r.seq, c.citizen FROM ${records} AS r CROSS JOIN LATERAL (SELECT DISTINCT unnest(r.citizens)) AS c(citizen)`;
  const seed = randomBytes(8).readBigInt64BE().toString();
  const fingerprint = (rows: string) => `SELECT count(*)::text AS "rows", coalesce(sum(hashtextextended(f.citizen || ' ' || f.seq, $1::bigint)), 0)::text AS "sum" FROM (${rows}) AS f`;
  const [recordCount] = await session.query<{ records: string }>(`SELECT count(*)::text AS records FROM ${records}`);
  const [expected] = await session.query<{ rows: string; sum: string }>(fingerprint(named), [seed]);
  const [actual] = await session.query<{ rows: string; sum: string }>(fingerprint(`SELECT seq, citizen FROM ${citizens}`), [seed]);
  const counts = { records: Number(recordCount!.records), rows: Number(actual!.rows) };
  if (expected!.rows === actual!.rows && expected!.sum === actual!.sum) return { ...counts, missing: 0, unbacked: 0, examples: [] };
  const [row] = await session.query<{ missing: string; unbacked: string; examples: string[] | null }>(
    `WITH named AS MATERIALIZED (${named}),
          side AS MATERIALIZED (SELECT seq, citizen FROM ${citizens}),
          missing AS (SELECT seq, citizen FROM named EXCEPT ALL SELECT seq, citizen FROM side),
          unbacked AS (SELECT seq, citizen FROM side EXCEPT ALL SELECT seq, citizen FROM named)
     SELECT (SELECT count(*) FROM missing)::text AS missing,
            (SELECT count(*) FROM unbacked)::text AS unbacked,
            (SELECT array_agg(x ORDER BY seq) FROM (
               (SELECT seq, 'missing ' || seq || ' ' || citizen AS x FROM missing ORDER BY seq LIMIT ${EXAMPLES})
               UNION ALL (SELECT seq, 'unbacked ' || seq || ' ' || citizen FROM unbacked ORDER BY seq LIMIT ${EXAMPLES})
             ) AS e) AS examples`,
  );
  return { ...counts, missing: Number(row!.missing), unbacked: Number(row!.unbacked), examples: (row!.examples ?? []).slice(0, EXAMPLES) };
}
