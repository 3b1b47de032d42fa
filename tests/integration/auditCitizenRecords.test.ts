/**
 * A citizen's records read through audit_record_citizen (migration 0008), on
 * the real database (PGlite, or PostgreSQL with DATABASE_URL, where both
 * tables are partitioned by month): every page, first to last across months,
 * holds exactly the records the array filter (the GIN index) finds; a list
 * of citizens gives each record once; the side rows are append-only, written
 * by the writer with their record, backfilled by the migration, and dropped
 * with their month by retention.
 */
import { cpSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyAuditRetention, archiveAuditMonth } from "../../gateway/audit/auditArchive.ts";
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { listAuditPartitions } from "../../gateway/audit/auditPartitions.ts";
import { openAuditLog, type AuditLog } from "../../gateway/audit/openAuditLog.ts";
import { queryAuditRecords, type AuditRecordFilter, type AuditRecordSource } from "../../gateway/audit/queryAuditRecords.ts";
import { applyMigrations } from "../../platform/database/applyMigrations.ts";
import { openDatabase } from "../../platform/database/openDatabase.ts";
import { ensureDevKeys, loadSigningKey, publicJwksOfPrivateKey, type SigningKey } from "../../platform/security/keys.ts";
import { PrismaClient as AuditPrismaClient } from "../../gateway/audit/prisma/generated/client.ts";
import { SYNTHETIC_APPS, ensureSyntheticPartitions, insertSyntheticRecords, setChainHead, syntheticAuditRecords, syntheticCitizen } from "../../scripts/bench/syntheticAuditLog.ts";
import { testDatabase, usingPostgres } from "../support/startSystem.ts";
import { auditEntryOf, monthFrom, monthName } from "../support/auditEntryOf.ts";

const AUDIT_MIGRATIONS = fileURLToPath(new URL("../../gateway/audit/prisma/migrations", import.meta.url));

/** Synthetic records in each of the three months before the current one. */
const PER_MONTH = 300;
/** A small population: every citizen is busy, and a batch read of 50 names some of them twice. */
const POPULATION = 7;
const citizen = (index: number) => syntheticCitizen(index % POPULATION);

const month = monthFrom;

function entry(i: number, citizens: string[]): AuditEntry {
  return auditEntryOf("citizen-records", i, citizens);
}

/** Every page of a filter, `first` at a time, newest first: the seqs. */
async function allPages(source: AuditRecordSource, filter: AuditRecordFilter, first: number): Promise<bigint[]> {
  const seen: bigint[] = [];
  let after: string | null = null;
  do {
    const page = await queryAuditRecords(source, filter, { first, after });
    seen.push(...page.records.map((record) => record.seq));
    after = page.nextCursor;
  } while (after);
  return seen;
}

describe("a citizen's audit records through audit_record_citizen", () => {
  let log: AuditLog;
  let key: SigningKey;
  let jwks: ReturnType<typeof publicJwksOfPrivateKey>;
  let workDir: string;
  let written = 0;

  /** What the array filter finds (the GIN index, or a scan): the reference. */
  const byArray = async (condition: string, params: unknown[]) =>
    (await log.database.session.query<{ seq: string }>(`SELECT seq::text AS seq FROM audit_record WHERE ${condition} ORDER BY audit_record.seq DESC`, params)).map((row) => BigInt(row.seq));

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "audit-citizen-"));
    const keys = await ensureDevKeys(workDir);
    key = await loadSigningKey(keys.gatewayPrivate);
    jwks = publicJwksOfPrivateKey(keys.gatewayPrivate);
    log = await openAuditLog({ auditDatabase: await testDatabase("audit_citizen", "gateway"), auditPseudonymKeyPath: keys.auditPseudonymKey });
    const from = month(-3);
    const to = new Date(month(0).getTime() - 60_000);
    await ensureSyntheticPartitions(log.database.session, from, to);
    const last = await insertSyntheticRecords(log.database.session, syntheticAuditRecords({ count: PER_MONTH * 3, from, to, seed: 11, citizen }));
    await setChainHead(log.database.session, last!);
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.writer.write(entry(written++, [citizen(i % 3)]))));
  });

  afterAll(async () => {
    await log?.database.close();
  });

  it("holds one row per distinct citizen a record names, with the record's commit time", async () => {
    const [counts] = await log.database.session.query<{ expected: string; rows: string; mismatched: string }>(
      `SELECT (SELECT count(*) FROM audit_record r, LATERAL (SELECT DISTINCT unnest(r.citizens)) c)::text AS expected,
              (SELECT count(*) FROM audit_record_citizen)::text AS rows,
              (SELECT count(*) FROM audit_record_citizen c LEFT JOIN audit_record r ON r.seq = c.seq AND r.committed_at = c.committed_at
                WHERE r.seq IS NULL OR NOT r.citizens @> ARRAY[c.citizen])::text AS mismatched`,
    );
    expect(Number(counts!.rows)).toBeGreaterThan(PER_MONTH * 3);
    expect(counts).toMatchObject({ rows: counts!.expected, mismatched: "0" });
  });

  it("pages a citizen's records, first page to the last across months, exactly as the array filter finds them", async () => {
    for (const index of [0, 3]) {
      const pseudonym = citizen(index);
      const expected = await byArray(`citizens @> ARRAY[$1]::text[]`, [pseudonym]);
      expect(expected.length).toBeGreaterThan(100);
      expect(await allPages(log.database.session, { citizenPseudonym: pseudonym }, 23)).toEqual(expected);
      expect(await allPages(log.database.prisma, { citizenPseudonym: pseudonym }, 50)).toEqual(expected);
      // With conditions on the record as well.
      const app = SYNTHETIC_APPS[0]!;
      expect(await allPages(log.database.session, { citizenPseudonym: pseudonym, app }, 17)).toEqual(
        await byArray(`citizens @> ARRAY[$1]::text[] AND app = $2`, [pseudonym, app]),
      );
      const since = new Date(month(-2).getTime() + 10 * 86_400_000);
      const until = new Date(month(-1).getTime() + 5 * 86_400_000);
      expect(await allPages(log.database.session, { citizenPseudonym: pseudonym, since, until }, 19)).toEqual(
        await byArray(`citizens @> ARRAY[$1]::text[] AND time >= $2 AND time < $3`, [pseudonym, since, until]),
      );
    }
    // A deep page from a cursor of only a seq (as older cursors are) reads on where the full cursor does.
    const middle = await queryAuditRecords(log.database.session, { citizenPseudonym: citizen(1) }, { first: 60 });
    const next = await queryAuditRecords(log.database.session, { citizenPseudonym: citizen(1) }, { first: 40, after: middle.nextCursor });
    const bySeq = await queryAuditRecords(log.database.session, { citizenPseudonym: citizen(1) }, { first: 40, after: middle.nextCursor!.split(".")[0] });
    expect(next.records.map((r) => r.seq)).toEqual(bySeq.records.map((r) => r.seq));
    expect(next.records).toHaveLength(40);
  });

  it("gives each record naming any of several citizens once, in order", async () => {
    const anyOf = [citizen(2), citizen(5), citizen(2), syntheticCitizen(999)];
    const expected = await byArray(`citizens && $1::text[]`, [anyOf]);
    // Batch reads name both: those must come once.
    const both = await byArray(`citizens @> $1::text[]`, [[citizen(2), citizen(5)]]);
    expect(both.length).toBeGreaterThan(0);
    const seen = await allPages(log.database.session, { citizenPseudonymsAnyOf: anyOf }, 29);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    // A citizen and a list together: the citizen's records that name one of the list.
    expect(await allPages(log.database.session, { citizenPseudonym: citizen(2), citizenPseudonymsAnyOf: [citizen(5)] }, 13)).toEqual(both);
    expect(await queryAuditRecords(log.database.session, { citizenPseudonymsAnyOf: [] }, { first: 10 })).toEqual({ records: [], nextCursor: null });
  });

  it("finds a record written through the writer by its citizen at once, with the record's commit time", async () => {
    const pseudonym = syntheticCitizen(424_242);
    const committed = await log.writer.write(entry(written++, [pseudonym, pseudonym, citizen(4)]));
    const page = await queryAuditRecords(log.database.session, { citizenPseudonym: pseudonym }, { first: 5 });
    expect(page.records.map((r) => r.seq)).toEqual([committed.seq]);
    const rows = await log.database.session.query<{ same: boolean }>(
      `SELECT c.committed_at = r.committed_at AS same FROM audit_record_citizen c JOIN audit_record r ON r.seq = c.seq WHERE c.seq = $1`,
      [committed.seq.toString()],
    );
    expect(rows).toEqual([{ same: true }, { same: true }]);
    expect((await queryAuditRecords(log.database.session, { citizenPseudonym: citizen(4) }, { first: 1 })).records[0]!.seq).toBe(committed.seq);
  });

  it("refuses to change or remove a citizen's row, in the table and in each month's partition", async () => {
    const tables = ["audit_record_citizen"];
    if (usingPostgres) tables.push(`audit_record_citizen_${monthName(month(-1)).replace("-", "_")}`);
    for (const table of tables) {
      for (const sql of [`TRUNCATE ${table}`, `DELETE FROM ${table} WHERE citizen = '${citizen(1)}'`, `UPDATE ${table} SET citizen = 'x'`]) {
        await expect(log.database.session.exec(sql), sql).rejects.toThrow(/append-only/);
      }
    }
  });

  it.skipIf(!usingPostgres)("has a month of citizens' rows beside each month of records, and retention drops both", async () => {
    const partitions = await listAuditPartitions(log.database.session);
    const sides = await log.database.session.query<{ table: string }>(
      `SELECT c.relname AS "table" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_record_citizen'::regclass ORDER BY 1`,
    );
    expect(sides.map((row) => row.table)).toEqual(partitions.map((p) => `audit_record_citizen_${p.month.replace("-", "_")}`));

    const oldest = monthName(month(-3));
    await archiveAuditMonth({ session: log.database.session, month: oldest, dir: join(workDir, "archive"), key, gatewayJwks: jwks });
    const result = await applyAuditRetention({ session: log.database.session, retentionMonths: 3, gatewayJwks: jwks });
    expect(result.dropped).toEqual([oldest]);
    const [gone] = await log.database.session.query<{ records: string | null; citizens: string | null }>(
      `SELECT to_regclass($1)::text AS records, to_regclass($2)::text AS citizens`,
      [`audit_record_${oldest.replace("-", "_")}`, `audit_record_citizen_${oldest.replace("-", "_")}`],
    );
    expect(gone).toEqual({ records: null, citizens: null });
    // Not created again for the dropped month.
    await log.database.session.query("SELECT audit_ensure_partition($1)", [month(-3).toISOString()]);
    expect((await log.database.session.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [`audit_record_citizen_${oldest.replace("-", "_")}`])).length).toBe(0);
    // Reads go on over the months left.
    const pseudonym = citizen(0);
    expect(await allPages(log.database.session, { citizenPseudonym: pseudonym }, 31)).toEqual(await byArray(`citizens @> ARRAY[$1]::text[]`, [pseudonym]));
  });
});

describe("migration 0008 on a log that already holds records", () => {
  it("backfills a row per citizen of every record, with a month of them beside each month of records", async () => {
    // The migrations before 0008, then records written as before it, then 0008.
    const before = mkdtempSync(join(tmpdir(), "audit-migrations-"));
    for (const name of readdirSync(AUDIT_MIGRATIONS).filter((name) => name < "0008")) cpSync(join(AUDIT_MIGRATIONS, name), join(before, name), { recursive: true });
    const database = await openDatabase({
      location: await testDatabase("audit_citizen_backfill", "gateway"),
      migrationsDir: before,
      createClient: (options) => new AuditPrismaClient(options),
    });
    try {
      const { session } = database;
      const from = month(-2);
      const to = new Date(month(0).getTime() - 60_000);
      await ensureSyntheticPartitions(session, from, to);
      const records = [...syntheticAuditRecords({ count: 200, from, to, seed: 5, citizen })];
      await session.query(
        `INSERT INTO audit_record (seq, time, request_id, citizens, outcome, data_released, latency_ms, prev_hash, hash, committed_at)
         SELECT seq, time, request_id, citizens, outcome::"AuditOutcome", data_released, latency_ms, prev_hash, hash, committed_at
         FROM json_to_recordset($1::json) AS r(seq bigint, time timestamptz, request_id text, citizens text[], outcome text, data_released boolean,
           latency_ms integer, prev_hash text, hash text, committed_at timestamptz)`,
        [JSON.stringify(records.map((r) => ({ seq: r.seq.toString(), time: r.time, request_id: r.requestId, citizens: r.citizens, outcome: r.outcome, data_released: r.dataReleased, latency_ms: r.latencyMs, prev_hash: r.prevHash, hash: r.hash, committed_at: r.committedAt })))],
      );
      expect(await applyMigrations(session, AUDIT_MIGRATIONS)).toContain("0008_audit_record_citizen");
      const [counts] = await session.query<{ expected: string; rows: string }>(
        `SELECT (SELECT count(*) FROM audit_record r, LATERAL (SELECT DISTINCT unnest(r.citizens)) c)::text AS expected,
                (SELECT count(*) FROM audit_record_citizen c JOIN audit_record r ON r.seq = c.seq AND r.committed_at = c.committed_at AND r.citizens @> ARRAY[c.citizen])::text AS rows`,
      );
      expect(Number(counts!.rows)).toBeGreaterThan(200);
      expect(counts!.rows).toBe(counts!.expected);
      const pseudonym = citizen(6);
      const expected = (await session.query<{ seq: string }>(`SELECT seq::text AS seq FROM audit_record WHERE citizens @> ARRAY[$1]::text[] ORDER BY audit_record.seq DESC`, [pseudonym])).map((row) => BigInt(row.seq));
      expect(await allPages(session, { citizenPseudonym: pseudonym }, 9)).toEqual(expected);
      if (usingPostgres) {
        const months = (await listAuditPartitions(session)).map((p) => p.month);
        const sides = await session.query<{ table: string }>(
          `SELECT c.relname AS "table" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_record_citizen'::regclass ORDER BY 1`,
        );
        expect(sides.map((row) => row.table)).toEqual(months.map((m) => `audit_record_citizen_${m.replace("-", "_")}`));
      }
    } finally {
      await database.close();
    }
  });
});
