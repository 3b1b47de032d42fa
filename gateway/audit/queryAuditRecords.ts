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

export async function queryAuditRecords(
  prisma: PrismaClient,
  filter: AuditRecordFilter,
  page: { first: number; after?: string | null },
): Promise<AuditRecordPage> {
  const first = Math.max(1, Math.min(page.first, MAX_PAGE));
  const after = page.after && /^\d{1,19}$/.test(page.after) ? BigInt(page.after) : undefined;
  const rows = await prisma.auditRecord.findMany({
    where: {
      ...(filter.hash ? { hash: filter.hash } : {}),
      ...(filter.app ? { app: filter.app } : {}),
      ...(filter.citizenPseudonym ? { citizens: { has: filter.citizenPseudonym } } : {}),
      ...(filter.citizenPseudonymsAnyOf ? { citizens: { hasSome: filter.citizenPseudonymsAnyOf } } : {}),
      ...(filter.field ? { requestedFields: { has: filter.field } } : {}),
      ...(filter.purpose ? { purpose: filter.purpose } : {}),
      ...(filter.outcome ? { outcome: filter.outcome } : {}),
      ...(filter.since || filter.until ? { time: { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lt: filter.until } : {}) } } : {}),
      // Records are committed within moments of their request: the same window on committed_at, widened by a day,
      // lets PostgreSQL skip the months (partitions) outside it.
      ...(filter.since || filter.until
        ? { committedAt: { ...(filter.since ? { gte: new Date(filter.since.getTime() - COMMIT_SLACK_MS) } : {}), ...(filter.until ? { lt: new Date(filter.until.getTime() + COMMIT_SLACK_MS) } : {}) } }
        : {}),
      ...(after !== undefined || filter.seq !== undefined ? { seq: { ...(after !== undefined ? { lt: after } : {}), ...(filter.seq !== undefined ? { equals: filter.seq } : {}) } } : {}),
    },
    orderBy: { seq: "desc" },
    take: first + 1,
  });
  const records = rows.slice(0, first) as AuditRecord[];
  return { records, nextCursor: rows.length > first ? records.at(-1)!.seq.toString() : null };
}
