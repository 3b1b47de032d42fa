/**
 * The hourly rollups the audit page reads, kept in the gateway's memory hour
 * by hour, and what was computed from them (each hour's anomaly flags, a
 * range's top apps): a view re-reads only the hours that changed since the
 * previous one. Each view first brings the rollups up to date
 * (refreshAuditRollups); what the newly rolled-up records touched (their
 * hours, per kind of rollup: rollupChanges.ts) is dropped and read or
 * computed again. Records arrive in the current hour, so a view usually
 * re-reads one hour, not the 8 days the anomaly rules look at.
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";
import { HOUR_MS, readFields, readHours, readReach, type FieldRow, type HourRow, type ReachRow } from "./readRollups.ts";
import { readRollupChanges, type ChangedHours, type RollupChanges } from "./rollupChanges.ts";
import { refreshAuditRollups } from "./refreshAuditRollups.ts";

/** The rollup rows of one hour. */
export interface HourSlice {
  hours: HourRow[];
  reach: ReachRow[];
  fields: FieldRow[];
  agencies: Array<{ agency: string; reads: number }>;
}

/** Which rollups a computed value is read from. */
export type RollupKind = keyof RollupChanges;

/** The longest span of hours (a range and the 7 days before it) kept in memory; longer ranges are computed afresh. */
export const MAX_CACHED_HOURS = 15 * 24;
/** Hours kept at most, across the ranges asked for. */
const MAX_SLICES = MAX_CACHED_HOURS + 48;
/** Computed values kept at most (about four per hour in use). */
const MAX_MEMOS = 4 * MAX_SLICES;

interface Memo {
  value: unknown;
  kind: RollupKind;
  /** The hours [from, to) it was computed from. */
  from: number;
  to: number;
}

export interface RollupView {
  /** The rollups of hour `hour` (ms), read by `load` for the span asked for. */
  slice(hour: number): HourSlice;
  /** A value computed from the rollups of [from, to) of `kind`, reused until they change. */
  memo<T>(key: string, kind: RollupKind, from: number, to: number, compute: () => T): T;
  memoAsync<T>(key: string, kind: RollupKind, from: number, to: number, compute: () => Promise<T>): Promise<T>;
  /** The rollups' watermark this view sees (the last `seq` rolled up). */
  readonly watermark: bigint;
  /** The watermark of this database's previous view (null: none, or the rollups went back). */
  readonly previousWatermark: bigint | null;
  /** Whether the records rolled up between the two watermarks changed rollups of `kind` in the hours [from, to). */
  changed(kind: RollupKind, from: number, to: number): boolean;
}

interface Cache {
  watermark: bigint | null;
  slices: Map<number, HourSlice>;
  memos: Map<string, Memo>;
  /** Views run one at a time per database: each sees its own changes applied. */
  queue: Promise<unknown>;
}

const caches = new WeakMap<RollupSource, Cache>();

const touches = (changed: ChangedHours, from: number, to: number) => changed !== null && changed.first < to && changed.last >= from;

function forget(cache: Cache, changes: RollupChanges): void {
  const any = changes.any;
  if (any) for (const hour of cache.slices.keys()) if (hour >= any.first && hour <= any.last) cache.slices.delete(hour);
  for (const [key, memo] of cache.memos) if (touches(changes[memo.kind], memo.from, memo.to)) cache.memos.delete(key);
}

async function load(source: RollupSource, cache: Cache, from: number, to: number): Promise<void> {
  let first = Infinity;
  let last = -Infinity;
  for (let hour = from; hour < to; hour += HOUR_MS) {
    if (cache.slices.has(hour)) continue;
    first = Math.min(first, hour);
    last = hour;
  }
  if (first === Infinity) return;
  if (cache.slices.size + (last - first) / HOUR_MS > MAX_SLICES) {
    for (const hour of cache.slices.keys()) if (hour < from || hour >= to) cache.slices.delete(hour);
    // What was computed from the hours let go goes with them (the rest is cheap to compute again).
    cache.memos.clear();
  }
  const since = new Date(first);
  const until = new Date(last + HOUR_MS);
  const [hours, reach, fields, agencies] = await Promise.all([
    readHours(source, since, until),
    readReach(source, since, until),
    readFields(source, since, until),
    queryRollups<Array<{ hour: Date; agency: string; reads: number }>>(
      source,
      `SELECT "hour", "agency", sum("reads")::int AS "reads" FROM "audit_rollup_agency" WHERE "hour" >= $1 AND "hour" < $2 GROUP BY 1, 2`,
      since,
      until,
    ),
  ]);
  const fresh = new Map<number, HourSlice>();
  for (let hour = first; hour <= last; hour += HOUR_MS) if (!cache.slices.has(hour)) fresh.set(hour, { hours: [], reach: [], fields: [], agencies: [] });
  const sliceOf = (hour: Date) => fresh.get(hour.getTime());
  for (const row of hours) sliceOf(row.hour)?.hours.push(row);
  for (const row of reach) sliceOf(row.hour)?.reach.push(row);
  for (const row of fields) sliceOf(row.hour)?.fields.push(row);
  for (const row of agencies) sliceOf(row.hour)?.agencies.push({ agency: row.agency, reads: row.reads });
  for (const [hour, slice] of fresh) cache.slices.set(hour, slice);
}

/**
 * Brings the rollups up to date, drops what the new records changed, reads
 * the hours [from, to) not in memory, then runs `use` (one view at a time).
 */
export async function viewRollups<T>(source: RollupSource, from: number, to: number, use: (view: RollupView) => Promise<T>): Promise<T> {
  await refreshAuditRollups(source);
  let cache = caches.get(source);
  if (!cache) caches.set(source, (cache = { watermark: null, slices: new Map(), memos: new Map(), queue: Promise.resolve() }));
  const own = cache;
  const run = async () => {
    const { watermark, changes } = await readRollupChanges(source, own.watermark);
    const previousWatermark = own.watermark === null || watermark < own.watermark ? null : own.watermark;
    if (previousWatermark === null) {
      own.slices.clear();
      own.memos.clear();
    } else if (watermark > previousWatermark) {
      forget(own, changes);
    }
    own.watermark = watermark;
    await load(source, own, from, to);
    if (own.memos.size > MAX_MEMOS) own.memos.clear();
    const memo = <V>(key: string, kind: RollupKind, memoFrom: number, memoTo: number, compute: () => V): V => {
      const known = own.memos.get(key);
      if (known) return known.value as V;
      const value = compute();
      own.memos.set(key, { value, kind, from: memoFrom, to: memoTo });
      return value;
    };
    const view: RollupView = {
      slice: (hour) => {
        const slice = own.slices.get(hour);
        if (!slice) throw new Error(`hour ${new Date(hour).toISOString()} was not loaded`);
        return slice;
      },
      memo,
      memoAsync: async (key, kind, memoFrom, memoTo, compute) => {
        const known = own.memos.get(key);
        if (known) return known.value as never;
        const value = await compute();
        own.memos.set(key, { value, kind, from: memoFrom, to: memoTo });
        return value;
      },
      watermark,
      previousWatermark,
      changed: (kind, changedFrom, changedTo) => previousWatermark === null || (watermark > previousWatermark && touches(changes[kind], changedFrom, changedTo)),
    };
    return use(view);
  };
  const result = own.queue.then(run, run);
  own.queue = result.catch(() => {});
  return result;
}
