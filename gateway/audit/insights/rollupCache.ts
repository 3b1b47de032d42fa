/**
 * The hourly rollups the audit page reads, kept in the gateway's memory hour
 * by hour, and what was computed from them (each hour's anomaly flags, a
 * range's top apps): a view re-reads only the hours that changed since the
 * previous one. Each view first brings the rollups up to date and learns what
 * the newly rolled-up records touched, in one round trip
 * (advanceAuditRollups); those hours, per kind of rollup (rollupChanges.ts),
 * are dropped and read or computed again. Records arrive in the current hour,
 * so a view usually re-reads one hour, not the 8 days the anomaly rules look
 * at. Values read from the database rather than computed from the hours (a
 * range's distinct citizens, its probed citizens) are kept by `keep` and
 * brought up to date from the records added since. Callers that ask while a
 * view waits to start share it.
 */
import type { RollupSource } from "./RollupSource.ts";
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
  /**
   * A value read from the database for the hours [from, to) of `kind`, kept
   * between views and brought up to date rather than read again: `afresh`
   * reads it as of this view's watermark; `update` moves a kept value from
   * watermark `since` to this view's. Neither runs when nothing of `kind`
   * changed in the range since the value was kept.
   */
  keep<T>(key: string, kind: RollupKind, from: number, to: number, how: KeepHow<T>): Promise<T>;
  /** The rollups' watermark this view sees (the last `seq` rolled up). */
  readonly watermark: bigint;
  /**
   * Whether the records rolled up after watermark `since` (up to this view's)
   * changed rollups of `kind` in the hours [from, to); undefined when this
   * process no longer knows (its recent views do not reach back to `since`).
   */
  changedSince(since: bigint, kind: RollupKind, from: number, to: number): boolean | undefined;
}

export interface KeepHow<T> {
  afresh(watermark: bigint): Promise<T>;
  update(known: T, since: bigint, watermark: bigint): Promise<T>;
}

/** What one view's roll-up changed, between two watermarks. */
interface Step {
  from: bigint;
  to: bigint;
  changes: RollupChanges;
}

/** Steps remembered for changedSince (kept values lag a few views behind at most: the page's views alternate). */
const MAX_STEPS = 32;

/** Values kept by `keep` at most (a few ranges per kind: the last day, the last week). */
const MAX_KEPT = 16;

interface Kept {
  value: unknown;
  /** The watermark the value is exact for. */
  watermark: bigint;
}

/** A caller waiting for a view: its span and what it does with the view. */
interface Waiting {
  from: number;
  to: number;
  use: (view: RollupView) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Cache {
  watermark: RollupWatermark | null;
  slices: Map<number, HourSlice>;
  memos: Map<string, Memo>;
  /** keep's values, least recently used first. */
  kept: Map<string, Kept>;
  /** Views run one at a time per database: each sees its own changes applied. */
  queue: Promise<unknown>;
  /** Callers of the view that has not started yet: they share it (one roll-up, one read of their hours). */
  next: Waiting[] | null;
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
 * the hours [from, to) not in memory, then runs `use`. Views run one at a
 * time; callers that ask while a view waits to start join it (the page's
 * summary and flags in one request share one roll-up and one read).
 */
export function viewRollups<T>(source: RollupSource, from: number, to: number, use: (view: RollupView) => Promise<T>): Promise<T> {
  let cache = caches.get(source);
  if (!cache) caches.set(source, (cache = { watermark: null, slices: new Map(), memos: new Map(), kept: new Map(), queue: Promise.resolve(), next: null, steps: [] }));
  const own = cache;
  return new Promise<T>((resolve, reject) => {
    const waiting: Waiting = { from, to, use, resolve: resolve as (value: unknown) => void, reject };
    const next = own.next;
    if (next && (Math.max(to, ...next.map((w) => w.to)) - Math.min(from, ...next.map((w) => w.from))) / HOUR_MS <= MAX_CACHED_HOURS) {
      next.push(waiting);
      return;
    }
    const batch = [waiting];
    own.next = batch;
    const run = () => {
      if (own.next === batch) own.next = null;
      return runView(source, own, batch);
    };
    own.queue = own.queue.then(run, run).catch(() => {});
  });
}

async function runView(source: RollupSource, own: Cache, batch: Waiting[]): Promise<void> {
  let view: RollupView;
  try {
    view = await advance(source, own, Math.min(...batch.map((w) => w.from)), Math.max(...batch.map((w) => w.to)));
  } catch (error) {
    for (const waiting of batch) waiting.reject(error);
    return;
  }
  for (const waiting of batch) {
    try {
      waiting.resolve(await waiting.use(view));
    } catch (error) {
      waiting.reject(error);
    }
  }
}

/** One view: the roll-up of what is new and what it changed, in one round trip; then the hours [from, to) not in memory. */
async function advance(source: RollupSource, own: Cache, from: number, to: number): Promise<RollupView> {
  const advanced = await advanceAuditRollups(source, own.watermark);
  const watermark = advanced.watermark.seq;
  const changes = advanced.changes;
  if (changes === null) {
    own.slices.clear();
    own.memos.clear();
    own.kept.clear();
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
  const changedSince = (since: bigint, kind: RollupKind, changedFrom: number, changedTo: number) => {
    if (since === watermark) return false;
    const first = steps.findIndex((step) => step.from === since);
    if (first < 0 || steps.at(-1)!.to !== watermark) return undefined;
    return steps.slice(first).some((step) => touches(step.changes[kind], changedFrom, changedTo));
  };
  return {
    slice: (hour) => {
      const slice = own.slices.get(hour);
      if (!slice) throw new Error(`hour ${new Date(hour).toISOString()} was not loaded`);
      return slice;
    },
    memo: (key, kind, memoFrom, memoTo, compute) => {
      const known = own.memos.get(key);
      if (known) return known.value as never;
      const value = compute();
      own.memos.set(key, { value, kind, from: memoFrom, to: memoTo });
      return value;
    },
    keep: async <V>(key: string, kind: RollupKind, keptFrom: number, keptTo: number, how: KeepHow<V>): Promise<V> => {
      const known = own.kept.get(key);
      own.kept.delete(key); // set again below: the map's order is least recently used first
      let value: V;
      if (!known || known.watermark > watermark) value = await how.afresh(watermark);
      else if (changedSince(known.watermark, kind, keptFrom, keptTo) === false) value = known.value as V;
      else value = await how.update(known.value as V, known.watermark, watermark);
      own.kept.set(key, { value, watermark });
      if (own.kept.size > MAX_KEPT) own.kept.delete(own.kept.keys().next().value!);
      return value;
    },
    watermark,
    changedSince,
  };
}
