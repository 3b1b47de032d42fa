/**
 * Reads audit records for auditors (the audit subgraph, `npm run audit -- list`):
 * filtered by app, citizen (by pseudonym), field, purpose, outcome and time,
 * newest first, paged by `seq`.
 */
import type { AuditOutcome, AuditRecord } from "./AuditEntry.ts";
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
  /** Pass as `after` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** How far commit time may lie from request time (clock skew and slow requests included). */
const COMMIT_SLACK_MS = 86_400_000;

/** The most records one page holds. */
export const MAX_PAGE = 500;

/** The `where` of a filter (without paging). */
function whereOf(filter: AuditRecordFilter): Record<string, unknown> {
  return {
    ...(filter.hash ? { hash: filter.hash } : {}),
    ...(filter.app ? { app: filter.app } : {}),
    ...(filter.citizenPseudonym ? { citizens: { has: filter.citizenPseudonym } } : {}),
    ...(filter.citizenPseudonymsAnyOf ? { citizens: { hasSome: filter.citizenPseudonymsAnyOf } } : {}),
    ...(filter.field ? { requestedFields: { has: filter.field } } : {}),
    ...(filter.purpose ? { purpose: filter.purpose } : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(filter.since || filter.until ? { time: { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lt: filter.until } : {}) } } : {}),
    ...(filter.seq !== undefined ? { seq: { equals: filter.seq } } : {}),
  };
}

/**
 * A page is read month by month of `committed_at`, newest first, in windows
 * of 1, 2, 4, ... months until it is full: a partitioned log then answers a
 * citizen's or a field's newest records from the newest month's index alone,
 * instead of collecting (and sorting) every match in every month. Since
 * `committed_at` never decreases along `seq`, newer windows hold only larger
 * seqs, so the windows' pages put together are the page. The newest window
 * is open above and the oldest open below, so a stale list of months loses
 * nothing.
 */
export async function queryAuditRecords(
  prisma: PrismaClient,
  filter: AuditRecordFilter,
  page: { first: number; after?: string | null },
): Promise<AuditRecordPage> {
  const first = Math.max(1, Math.min(page.first, MAX_PAGE));
  const after = page.after && /^\d{1,19}$/.test(page.after) ? BigInt(page.after) : undefined;
  const where: Record<string, unknown> = {
    ...whereOf(filter),
    ...(after !== undefined ? { seq: { lt: after, ...(filter.seq !== undefined ? { equals: filter.seq } : {}) } } : {}),
  };
  // Records are committed within moments of their request: the same window on committed_at, widened by a day,
  // lets PostgreSQL skip the months (partitions) outside it.
  const committedFrom = filter.since ? new Date(filter.since.getTime() - COMMIT_SLACK_MS) : undefined;
  let committedUntil = filter.until ? new Date(filter.until.getTime() + COMMIT_SLACK_MS) : undefined;
  const read = (window: { gte?: Date; lt?: Date }, take: number) =>
    prisma.auditRecord.findMany({
      where: {
        ...where,
        AND: [
          ...(committedFrom || committedUntil ? [{ committedAt: { ...(committedFrom ? { gte: committedFrom } : {}), ...(committedUntil ? { lt: committedUntil } : {}) } }] : []),
          ...(window.gte || window.lt ? [{ committedAt: window }] : []),
        ],
      },
      orderBy: { seq: "desc" },
      take,
    });

  const months = filter.seq !== undefined || filter.hash ? null : await partitionMonths(prisma);
  let rows: Awaited<ReturnType<typeof read>>;
  if (!months || months.length === 0) {
    rows = await read({}, first + 1);
  } else {
    if (after !== undefined) {
      // Start at the cursor's month.
      const cursor = await prisma.auditRecord.findFirst({ where: { seq: after }, select: { committedAt: true } });
      if (cursor) committedUntil = committedUntil && committedUntil < cursor.committedAt ? committedUntil : new Date(cursor.committedAt.getTime() + 1);
    }
    const oldest = months[0]!;
    const top = committedUntil ?? new Date();
    let upper: Date | undefined; // open above at first
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
  const records = rows.slice(0, first) as AuditRecord[];
  return { records, nextCursor: rows.length > first ? records.at(-1)!.seq.toString() : null };
}

function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

function addMonths(at: Date, months: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/** How long the list of monthly partitions is reused. */
const MONTHS_TTL_MS = 60_000;
const monthsCache = new WeakMap<PrismaClient, { at: number; months: Promise<Date[]> }>();

/** The first days of the months with a partition, oldest first; empty when the log is one table (PGlite). */
function partitionMonths(prisma: PrismaClient): Promise<Date[]> {
  const cached = monthsCache.get(prisma);
  if (cached && Date.now() - cached.at < MONTHS_TTL_MS) return cached.months;
  const months = prisma
    .$queryRawUnsafe<Array<{ table: string }>>(
      `SELECT c.relname::text AS "table" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('audit_record')`,
    )
    .then((rows) =>
      rows
        .map((row) => /^audit_record_(\d{4})_(\d{2})$/.exec(row.table))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)))
        .sort((a, b) => a.getTime() - b.getTime()),
    );
  months.catch(() => monthsCache.delete(prisma));
  monthsCache.set(prisma, { at: Date.now(), months });
  return months;
}
