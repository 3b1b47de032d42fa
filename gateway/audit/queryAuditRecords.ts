/**
 * Reads audit records for auditors (the audit subgraph, `npm run audit -- list`):
 * filtered by app, citizen (by pseudonym), field, purpose, outcome and time,
 * newest first, paged by `seq`.
 */
import type { AuditOutcome, AuditRecord } from "./AuditEntry.ts";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

export interface AuditRecordFilter {
  /** One record by its place in the chain (e.g. the seq a receipt names). */
  seq?: bigint;
  /** One record by its hash. */
  hash?: string;
  app?: string;
  /** A pseudonym (see createCitizenPseudonymizer), not a resident id. */
  citizenPseudonym?: string;
  /** Only records naming at least one of these pseudonyms (a token bound to citizens reads only theirs). */
  citizenPseudonymsAnyOf?: string[];
  /** A field coordinate such as `HousingFundAccount.balance`, among those requested. */
  field?: string;
  purpose?: string;
  outcome?: AuditOutcome;
  since?: Date;
  until?: Date;
}

export interface AuditRecordPage {
  records: AuditRecord[];
  /**
   * Pass as `after` for the next (older) page; null on the last page. The
   * last record's `seq` and, after a dot, its commit time (ms): the next
   * page starts in that month without looking the record up.
   */
  nextCursor: string | null;
}

/** How far commit time may lie from request time (clock skew and slow requests included). */
const COMMIT_SLACK_MS = 86_400_000;

/** The most records one page holds. */
export const MAX_PAGE = 500;

/** Where the records are read from: the driver directly (the gateway's request path), or Prisma's raw queries (the tools). */
export type AuditRecordSource = PrismaClient | SqlSession;

type Reader = <Row>(sql: string, params: unknown[]) => Promise<Row[]>;

function readerOf(source: AuditRecordSource): Reader {
  if ("$queryRawUnsafe" in source) return <Row>(sql: string, params: unknown[]) => source.$queryRawUnsafe<Row[]>(sql, ...params);
  return <Row>(sql: string, params: unknown[]) => source.query<Row>(sql, params);
}

/**
 * Every column, named as AuditRecord names it; seq as text (the drivers differ
 * on int8). The text[] columns come as JSON, which the drivers hand to
 * JSON.parse: the same arrays, without pg's character-by-character parse of
 * array literals (six arrays a record, on every page an auditor reads).
 */
const COLUMNS = `"seq"::text AS "seq", "time", "request_id" AS "requestId", "app", "token_id" AS "tokenId", "purpose",
  "operation_name" AS "operationName", "operation_hash" AS "operationHash", to_json("citizens") AS "citizens",
  to_json("requested_fields") AS "requestedFields", to_json("granted_fields") AS "grantedFields", to_json("denied_fields") AS "deniedFields",
  "outcome"::text AS "outcome", "data_released" AS "dataReleased", to_json("error_codes") AS "errorCodes", to_json("subgraphs") AS "subgraphs",
  "latency_ms" AS "latencyMs", "client_address" AS "clientAddress", "verifications",
  "governance", "prev_hash" AS "prevHash", "hash", "committed_at" AS "committedAt"`;

/**
 * Conditions of a query under construction, with their parameters. `ranges`
 * bound `seq` and `committed_at` (the cursor, the months): columns the
 * records and their citizens' rows (audit_record_citizen) share, so a read
 * through the citizens applies them to the citizens' index scan.
 */
class Conditions {
  readonly parts: string[] = [];
  readonly ranges: string[] = [];
  readonly params: unknown[] = [];
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  add(sql: (param: string) => string, value: unknown): void {
    this.parts.push(sql(this.param(value)));
  }
  addRange(sql: (param: string) => string, value: unknown): void {
    this.ranges.push(sql(this.param(value)));
  }
  copy(): Conditions {
    const copy = new Conditions();
    copy.parts.push(...this.parts);
    copy.ranges.push(...this.ranges);
    copy.params.push(...this.params);
    return copy;
  }
}

/**
 * The most citizens a read takes through audit_record_citizen; a longer
 * list of citizens is read through the GIN index.
 */
const MAX_MERGED_CITIZENS = 64;

/**
 * The citizens whose rows in audit_record_citizen a read goes through, or
 * null when it reads audit_record alone: no citizen named, a record asked
 * for by seq or hash, or more citizens than are merged.
 */
function citizensToRead(filter: AuditRecordFilter): string[] | null {
  if (filter.seq !== undefined || filter.hash) return null;
  if (filter.citizenPseudonym) return [filter.citizenPseudonym];
  const anyOf = filter.citizenPseudonymsAnyOf;
  if (!anyOf || anyOf.length === 0 || anyOf.length > MAX_MERGED_CITIZENS) return null;
  return [...new Set(anyOf)];
}

/** The conditions of a filter (without paging); without those on the citizens read through audit_record_citizen. */
function conditionsOf(filter: AuditRecordFilter, throughCitizens: string[] | null): Conditions {
  const where = new Conditions();
  if (filter.hash) where.add((p) => `"hash" = ${p}`, filter.hash);
  if (filter.app) where.add((p) => `"app" = ${p}`, filter.app);
  // Containment (@>, &&) is what the GIN indexes on the arrays answer.
  if (filter.citizenPseudonym && !throughCitizens) where.add((p) => `"citizens" @> ARRAY[${p}]::text[]`, filter.citizenPseudonym);
  // With a citizen named as well, the list is a condition on the records that citizen's rows lead to.
  if (filter.citizenPseudonymsAnyOf && (!throughCitizens || filter.citizenPseudonym)) {
    where.add((p) => `"citizens" && ${p}::text[]`, filter.citizenPseudonymsAnyOf);
  }
  if (filter.field) where.add((p) => `"requested_fields" @> ARRAY[${p}]::text[]`, filter.field);
  if (filter.purpose) where.add((p) => `"purpose" = ${p}`, filter.purpose);
  if (filter.outcome) where.add((p) => `"outcome" = ${p}::"AuditOutcome"`, filter.outcome);
  if (filter.since) where.add((p) => `"time" >= ${p}`, filter.since);
  if (filter.until) where.add((p) => `"time" < ${p}`, filter.until);
  if (filter.seq !== undefined) where.add((p) => `"seq" = ${p}::bigint`, filter.seq.toString());
  return where;
}

/** A page of records matching `conditions`, newest first, from audit_record alone. */
function recordsSql(conditions: Conditions, limit: string): string {
  const all = [...conditions.parts, ...conditions.ranges];
  return `SELECT ${COLUMNS} FROM "audit_record"${all.length ? ` WHERE ${all.join(" AND ")}` : ""} ORDER BY "audit_record"."seq" DESC LIMIT ${limit}`;
}

/**
 * A page of the records naming one of `citizens`, newest first, through
 * audit_record_citizen: the citizens' rows within the ranges, newest first
 * and each seq once (a record may name several of them), each joined to its
 * record by the primary key (seq, committed_at) with the other conditions
 * checked on it, until the page is full. One citizen's rows come in order
 * from a backward scan of its (citizen, seq) index (merged across months),
 * so a page costs its own rows, however many the citizen has. Several
 * citizens' index entries in the ranges are sorted first (entries only: no
 * record is read for them).
 *
 * The record is read in a LATERAL subquery of at most one row: the planner
 * estimates a join on (seq, committed_at) as if the two were independent
 * (about one row in all), and with that estimate it would join every row of
 * the citizen and sort the records; at one row per citizen's row it stops
 * after the page. The record's own `citizens` are checked too (a cheap
 * recheck of a row already read), so a row of the side table, whoever wrote
 * it, can only ever lead to a record naming its citizen.
 */
function recordsThroughCitizensSql(conditions: Conditions, citizens: string[], limit: string): string {
  const named = citizens.length === 1 ? `"citizen" = ${conditions.param(citizens[0])}` : `"citizen" = ANY(${conditions.param(citizens)}::text[])`;
  const ranges = conditions.ranges.map((range) => ` AND ${range}`).join("");
  const checks = [...conditions.parts, `"citizens" && ${conditions.param(citizens)}::text[]`].map((check) => ` AND ${check}`).join("");
  // One citizen and no other condition: each of its rows is a record of the page, so the page's size bounds the
  // index scan itself. Without that bound the planner, estimating a citizen's month at a couple of thousand rows,
  // sorts all of them (over 8,000 for the bench's busy citizen) rather than walk the index backwards. (A side row
  // whose record does not name the citizen, which only tampering makes, would then shorten that window's page.)
  const alone = citizens.length === 1 && conditions.parts.length === 0;
  return `SELECT ${COLUMNS} FROM (
    SELECT ${alone ? "" : `DISTINCT ON ("seq") `}"seq" AS "citizenSeq", "committed_at" AS "citizenCommittedAt" FROM "audit_record_citizen"
    WHERE ${named}${ranges} ORDER BY "seq" DESC${alone ? ` LIMIT ${limit}` : ""}
  ) AS "named" CROSS JOIN LATERAL (
    SELECT * FROM "audit_record" WHERE "seq" = "named"."citizenSeq" AND "committed_at" = "named"."citizenCommittedAt"${ranges}${checks} LIMIT 1
  ) AS "audit_record"
  ORDER BY "named"."citizenSeq" DESC LIMIT ${limit}`;
}

interface RecordRow extends Omit<AuditRecord, "seq"> {
  seq: string;
  committedAt: Date;
}

const recordOf = (row: RecordRow): AuditRecord => ({ ...row, seq: BigInt(row.seq) });

/**
 * A page is read month by month of `committed_at`, newest first, in windows
 * of 1, 2, 4, ... months until it is full: a partitioned log then answers a
 * citizen's or a field's newest records from the newest month's index alone,
 * instead of collecting (and sorting) every match in every month. Since
 * `committed_at` never decreases along `seq`, newer windows hold only larger
 * seqs, so the windows' pages put together are the page. The newest window
 * ends a month past now (and a day's clock skew), the oldest is open below,
 * so a stale list of months loses nothing. A filter naming citizens reads each window through their rows in
 * audit_record_citizen (see recordsThroughCitizensSql). Plain SQL on the
 * driver: no query building per request.
 */
export async function queryAuditRecords(
  source: AuditRecordSource,
  filter: AuditRecordFilter,
  page: { first: number; after?: string | null },
): Promise<AuditRecordPage> {
  const query = readerOf(source);
  const first = Math.max(1, Math.min(page.first, MAX_PAGE));
  const cursor = page.after ? /^(\d{1,19})(?:\.(\d{1,15}))?$/.exec(page.after) : null;
  const after = cursor ? BigInt(cursor[1]!) : undefined;
  const citizens = citizensToRead(filter);
  const where = conditionsOf(filter, citizens);
  if (after !== undefined) where.addRange((p) => `"seq" < ${p}::bigint`, after.toString());
  // Records are committed within moments of their request: the same window on committed_at, widened by a day,
  // lets PostgreSQL skip the months (partitions) outside it.
  const committedFrom = filter.since ? new Date(filter.since.getTime() - COMMIT_SLACK_MS) : undefined;
  let committedUntil = filter.until ? new Date(filter.until.getTime() + COMMIT_SLACK_MS) : undefined;
  if (committedFrom) where.addRange((p) => `"committed_at" >= ${p}`, committedFrom);
  const read = async (window: { gte?: Date; lt?: Date }, take: number) => {
    const conditions = where.copy();
    if (committedUntil) conditions.addRange((p) => `"committed_at" < ${p}`, committedUntil);
    if (window.gte) conditions.addRange((p) => `"committed_at" >= ${p}`, window.gte);
    if (window.lt) conditions.addRange((p) => `"committed_at" < ${p}`, window.lt);
    const limit = conditions.param(take);
    const sql = citizens ? recordsThroughCitizensSql(conditions, citizens, limit) : recordsSql(conditions, limit);
    const rows = await query<RecordRow>(sql, conditions.params);
    return rows.map(recordOf);
  };

  const months = filter.seq !== undefined || filter.hash ? null : await partitionMonths(source, query);
  let rows: AuditRecord[];
  if (!months || months.length === 0) {
    rows = await read({}, first + 1);
  } else {
    if (after !== undefined) {
      // Start at the cursor's month: its commit time comes with it (a cursor of only a seq is looked up).
      const at = cursor?.[2]
        ? new Date(Number(cursor[2]))
        : (await query<{ committedAt: Date }>(`SELECT "committed_at" AS "committedAt" FROM "audit_record" WHERE "seq" = $1::bigint`, [after.toString()]))[0]?.committedAt;
      if (at) committedUntil = committedUntil && committedUntil < new Date(at) ? committedUntil : new Date(new Date(at).getTime() + 1);
    }
    const oldest = months[0]!;
    const top = committedUntil ?? new Date();
    // Nothing commits later than now (give or take a day of clock skew): the newest window ends at the month after,
    // so the months created ahead of time, still empty, stay out of the plan. With them in it, PostgreSQL sorted all
    // of a busy citizen's entries in the month instead of walking the index backwards.
    let upper: Date | undefined = committedUntil ? undefined : addMonths(monthStart(new Date(Date.now() + COMMIT_SLACK_MS)), 1);
    let start = monthStart(top);
    let size = 1;
    rows = [];
    for (;;) {
      const lower = start <= oldest || (committedFrom && start <= committedFrom) ? undefined : start;
      rows.push(...(await read({ ...(lower ? { gte: lower } : {}), ...(upper ? { lt: upper } : {}) }, first + 1 - rows.length)));
      if (rows.length > first || !lower) break;
      upper = lower;
      size *= 2;
      start = addMonths(upper, -size);
    }
  }
  const records = rows.slice(0, first);
  return { records, nextCursor: rows.length > first ? cursorOf(records.at(-1)!) : null };
}

function cursorOf(record: AuditRecord): string {
  const committedAt = (record as AuditRecord & { committedAt?: Date | string }).committedAt;
  const at = committedAt === undefined ? NaN : new Date(committedAt).getTime();
  return Number.isFinite(at) ? `${record.seq}.${at}` : record.seq.toString();
}

function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

function addMonths(at: Date, months: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/** How long the list of monthly partitions is reused. */
const MONTHS_TTL_MS = 60_000;
const monthsCache = new WeakMap<object, { at: number; months: Promise<Date[]> }>();

/** The first days of the months with a partition, oldest first; empty when the log is one table (PGlite). */
function partitionMonths(source: AuditRecordSource, query: Reader): Promise<Date[]> {
  const cached = monthsCache.get(source);
  if (cached && Date.now() - cached.at < MONTHS_TTL_MS) return cached.months;
  const months = query<{ table: string }>(
    `SELECT c.relname::text AS "table" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('audit_record')`,
    [],
  ).then((rows) =>
    rows
      .map((row) => /^audit_record_(\d{4})_(\d{2})$/.exec(row.table))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)))
      .sort((a, b) => a.getTime() - b.getTime()),
  );
  months.catch(() => monthsCache.delete(source));
  monthsCache.set(source, { at: Date.now(), months });
  return months;
}
