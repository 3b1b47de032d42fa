/**
 * The hourly rollups the audit page reads, kept in the gateway's memory hour
 * by hour, and what was computed from them (each hour's anomaly flags, a
 * range's top apps): a view re-reads only the hours that changed since the
 * previous one. Each view first brings the rollups up to date
 * (advanceAuditRollups, in the same round trip); what the newly rolled-up records touched (their
 * hours, per kind of rollup: rollupChanges.ts) is dropped and read or
 * computed again. Records arrive in the current hour, so a view usually
 * re-reads one hour, not the 8 days the anomaly rules look at.
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";
import { HOUR_MS, readRollupRows, type FieldRow, type HourRow, type ReachRow } from "./readRollups.ts";
import type { ChangedHours, RollupChanges } from "./rollupChanges.ts";
import { advanceAuditRollups, type RollupWatermark } from "./refreshAuditRollups.ts";

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
  /**
   * Whether the records rolled up after watermark `since` (up to this view's)
   * changed rollups of `kind` in the hours [from, to); undefined when this
   * process no longer knows (its recent views do not reach back to `since`).
   */
  changedSince(since: bigint, kind: RollupKind, from: number, to: number): boolean | undefined;
}

/** What one view's roll-up changed, between two watermarks. */
interface Step {
  from: bigint;
  to: bigint;
  changes: RollupChanges;
}

/** Steps remembered for changedSince (kept values lag a few views behind at most: the page's views alternate). */
const MAX_STEPS = 32;

interface Cache {
  watermark: RollupWatermark | null;
  slices: Map<number, HourSlice>;
  memos: Map<string, Memo>;
  /** Views run one at a time per database: each sees its own changes applied. */
  queue: Promise<unknown>;
  /** The latest views' steps, oldest first, contiguous. */
  steps: Step[];
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
  const { hours, reach, fields, agencies } = await readRollupRows(source, new Date(first), new Date(last + HOUR_MS));
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
  let cache = caches.get(source);
  if (!cache) caches.set(source, (cache = { watermark: null, slices: new Map(), memos: new Map(), queue: Promise.resolve(), steps: [] }));
  const own = cache;
  const run = async () => {
    // One round trip: the roll-up of what is new, and what it changed since this cache's watermark.
    const advanced = await advanceAuditRollups(source, own.watermark);
    const watermark = advanced.watermark.seq;
    const changes = advanced.changes;
    if (changes === null) {
      own.slices.clear();
      own.memos.clear();
      own.steps = [];
    } else if (watermark > own.watermark!.seq) {
      forget(own, changes);
      own.steps.push({ from: own.watermark!.seq, to: watermark, changes });
      if (own.steps.length > MAX_STEPS) own.steps.shift();
    }
    own.watermark = advanced.watermark;
    const steps = own.steps;
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
      changedSince: (since, kind, changedFrom, changedTo) => {
        if (since === watermark) return false;
        const first = steps.findIndex((step) => step.from === since);
        if (first < 0 || steps.at(-1)!.to !== watermark) return undefined;
        return steps.slice(first).some((step) => touches(step.changes[kind], changedFrom, changedTo));
      },
    };
    return use(view);
  };
  const result = own.queue.then(run, run);
  own.queue = result.catch(() => {});
  return result;
}
