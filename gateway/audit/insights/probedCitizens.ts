/**
 * The (app, citizen, verification field) triples asked with at least N
 * distinct arguments over a range of hours: what THRESHOLD_PROBING flags.
 * Read afresh from audit_rollup_probe, or kept per range and brought up to
 * date from the triples the rollup refreshes touched since.
 *
 * A verification lands every few seconds on a busy gateway, so a result
 * dropped at each would be read again at every view. Each probe row carries
 * the watermark of the refresh that last added to it (`touched_at_seq`,
 * migration 0009); a kept result moves from watermark W to W' by reading
 * again, over the range, only the triples with a row touched in (W, W'].
 * Counts only grow, so reading a triple a little past W' (a concurrent
 * refresh) gives its newer count, and the next view reads it again anyway.
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";
import type { RollupView } from "./rollupCache.ts";

export interface ProbedCitizen {
  app: string;
  citizen: string;
  coordinate: string;
  /** Distinct arguments asked in the range. */
  arguments: number;
  /** The first and last hour it was asked in. */
  first: Date;
  last: Date;
}

const GROUPED = `SELECT "app", "citizen", "coordinate", count(DISTINCT "arguments")::int AS "arguments", min("hour") AS "first", max("hour") AS "last"
  FROM "audit_rollup_probe" WHERE "hour" >= $1 AND "hour" < $2`;

/** The triples probed at least `threshold` times in [since, until), most arguments first, then by app, coordinate and citizen. */
export async function readProbedCitizens(source: RollupSource, since: Date, until: Date, threshold: number): Promise<ProbedCitizen[]> {
  return queryRollups<ProbedCitizen[]>(
    source,
    `${GROUPED} GROUP BY 1, 2, 3 HAVING count(DISTINCT "arguments") >= $3
     ORDER BY 4 DESC, "app" COLLATE "C", "coordinate" COLLATE "C", "citizen" COLLATE "C"`,
    since,
    until,
    threshold,
  );
}

/** As readProbedCitizens for the hours [from, to) (ms), as of the view's watermark, kept by the view between views. */
export async function keptProbedCitizens(source: RollupSource, view: RollupView, from: number, to: number, threshold: number): Promise<ProbedCitizen[]> {
  const probed = await view.keep(`probed ${threshold} ${from} ${to}`, "probes", from, to, {
    afresh: async () => {
      const rows = await readProbedCitizens(source, new Date(from), new Date(to), threshold);
      return new Map(rows.map((row) => [keyOf(row), row]));
    },
    update: async (known, since, watermark) => {
      const updated = new Map(known);
      for (const row of await readTouched(source, from, to, since, watermark)) {
        if (row.arguments >= threshold) updated.set(keyOf(row), row);
        else updated.delete(keyOf(row));
      }
      return updated;
    },
  });
  return [...probed.values()].sort(byArgumentsThenName);
}

const keyOf = (row: ProbedCitizen) => `${row.app}\u0000${row.citizen}\u0000${row.coordinate}`;

const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const byArgumentsThenName = (a: ProbedCitizen, b: ProbedCitizen) =>
  b.arguments - a.arguments || byCodePoint(a.app, b.app) || byCodePoint(a.coordinate, b.coordinate) || byCodePoint(a.citizen, b.citizen);

/** Every triple with a row in the range touched in (since, until], counted again over the whole range. */
function readTouched(source: RollupSource, from: number, to: number, since: bigint, until: bigint): Promise<ProbedCitizen[]> {
  return queryRollups<ProbedCitizen[]>(
    source,
    `${GROUPED} AND ("app", "citizen", "coordinate") IN (
       SELECT "app", "citizen", "coordinate" FROM "audit_rollup_probe"
       WHERE "touched_at_seq" > $3::bigint AND "touched_at_seq" <= $4::bigint AND "hour" >= $1 AND "hour" < $2
     ) GROUP BY 1, 2, 3`,
    new Date(from),
    new Date(to),
    since.toString(),
    until.toString(),
  );
}
