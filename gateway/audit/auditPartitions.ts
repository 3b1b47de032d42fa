/**
 * Monthly partitions of the audit log on PostgreSQL (migration 0005): the
 * current month's and the next three exist at all times, so the writer never
 * meets a month without one. Each month of records (`audit_record_YYYY_MM`)
 * has one of its citizens' rows beside it (`audit_record_citizen_YYYY_MM`,
 * migration 0008), created and dropped with it. On the embedded PGlite
 * database (one table each) these are no-ops.
 */
import type { SqlSession } from "../../platform/database/applyMigrations.ts";

/** How many months ahead partitions are created. */
export const PARTITION_MONTHS_AHEAD = 3;

/** Creates the current month's partition and the next ones if missing. @returns how many were created */
export async function ensureAuditPartitions(session: SqlSession): Promise<number> {
  const [row] = await session.query<{ created: number }>("SELECT audit_ensure_partitions($1) AS created", [PARTITION_MONTHS_AHEAD]);
  return Number(row?.created ?? 0);
}

/** Whether the audit log is partitioned (PostgreSQL) or one table (PGlite). */
export async function isPartitioned(session: SqlSession): Promise<boolean> {
  const rows = await session.query("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('audit_record')");
  return rows.length > 0;
}

/** One month's partition. */
export interface AuditPartition {
  /** `YYYY-MM` (UTC). */
  month: string;
  table: string;
}

/** The partitions that exist, oldest first. */
export async function listAuditPartitions(session: SqlSession): Promise<AuditPartition[]> {
  const rows = await session.query<{ table: string }>(
    `SELECT c.relname AS "table" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass('audit_record') ORDER BY c.relname`,
  );
  return rows
    .map((row) => ({ table: row.table, match: /^audit_record_(\d{4})_(\d{2})$/.exec(row.table) }))
    .filter((row) => row.match)
    .map((row) => ({ table: row.table, month: `${row.match![1]}-${row.match![2]}` }));
}

/** The partition of audit_record_citizen beside a month of records (migration 0008 and `audit_ensure_partition` create it with the month's). */
export function citizenPartitionOf(partition: AuditPartition): string {
  return `audit_record_citizen_${partition.month.replace("-", "_")}`;
}
