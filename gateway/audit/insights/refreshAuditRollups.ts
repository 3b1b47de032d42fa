/**
 * Brings the hourly rollups (migration 0004_audit_rollups) up to date with
 * audit_record: only the records after the watermark in audit_rollup_state
 * are read, by their `seq`, in the months they can be in, and added to the
 * hourly counts. The request path never waits for this; auditSummary,
 * auditAnomalies and `npm run audit -- anomalies` bring the rollups up to
 * date before they read, so a view costs the records since the last view,
 * never a full scan.
 *
 * The roll-up itself is the database function `audit_rollup_advance`
 * (migration 0010_rollup_advance): one round trip that, only if the chain
 * head moved past the watermark, takes the refresh lock, rolls up, moves the
 * watermark, and answers what the records since a view's last watermark
 * changed. PL/pgSQL keeps its plans for the connection, so the statement of
 * six upserts is planned once, not at every view.
 */
import { isPrismaSource, type RollupSource } from "./RollupSource.ts";
import { changesOf, type ChangeTimes, type RollupChanges } from "./rollupChanges.ts";

/** Most records one transaction rolls up. @default 50_000 */
const CHUNK = 50_000n;

/** Where the rollups stand: the last `seq` rolled up and its record's commit time. */
export interface RollupWatermark {
  seq: bigint;
  /** Null until a refresh under migration 0010 recorded it. */
  committedAt: Date | null;
}

interface AdvanceRow extends ChangeTimes {
  watermark: string | bigint;
  watermarkAt: Date | null;
  rolledUp: string | bigint;
  more: boolean;
}

const ADVANCE = `SELECT "watermark"::text AS "watermark", "watermark_at" AS "watermarkAt", "rolled_up"::text AS "rolledUp", "more",
  "first_time" AS "firstTime", "last_time" AS "lastTime", "first_citizen_time" AS "firstCitizenTime",
  "last_citizen_time" AS "lastCitizenTime", "first_probe_time" AS "firstProbeTime", "last_probe_time" AS "lastProbeTime"
  FROM audit_rollup_advance($1::bigint, $2::timestamptz, $3::bigint)`;

async function advanceOnce(source: RollupSource, since: RollupWatermark | null): Promise<AdvanceRow> {
  const params = [since?.seq.toString() ?? null, since?.committedAt ?? null, CHUNK.toString()];
  const [row] = isPrismaSource(source)
    ? await source.$queryRawUnsafe<AdvanceRow[]>(ADVANCE, ...params)
    : await source.query<AdvanceRow>(ADVANCE, params, "audit_rollup_advance");
  if (!row) throw new Error("audit_rollup_advance answered no row");
  return row;
}

/**
 * Rolls up every record committed so far (in chunks, one transaction each)
 * and answers the watermark, how many seq values this call rolled up, and
 * what the records after `since` changed (null when `since` is null, or the
 * rollups went back before it).
 */
export async function advanceAuditRollups(
  source: RollupSource,
  since: RollupWatermark | null,
): Promise<{ watermark: RollupWatermark; rolledUp: bigint; changes: RollupChanges | null }> {
  let rolledUp = 0n;
  for (;;) {
    const row = await advanceOnce(source, since);
    rolledUp += BigInt(row.rolledUp);
    if (row.more) continue;
    const watermark = { seq: BigInt(row.watermark), committedAt: row.watermarkAt };
    const changes = since === null || watermark.seq < since.seq ? null : changesOf(row);
    return { watermark, rolledUp, changes };
  }
}

/** Rolls up every record committed since the last refresh. @returns how many seq values were rolled up */
export function refreshAuditRollups(source: RollupSource): Promise<bigint> {
  // One at a time per process: a second caller waits for the first and then finds nothing new.
  const previous = running.get(source) ?? Promise.resolve(0n);
  const next = previous.catch(() => 0n).then(async () => (await advanceAuditRollups(source, null)).rolledUp);
  running.set(source, next);
  void next.finally(() => {
    if (running.get(source) === next) running.delete(source);
  }).catch(() => {});
  return next;
}

const running = new WeakMap<RollupSource, Promise<bigint>>();
