/**
 * How many distinct citizens each app read over a range of hours (the audit
 * page's "top apps"), kept per range and brought up to date from what the
 * rollup refreshes added since, instead of counted again.
 *
 * Counting a range afresh reads every (hour, app, citizen) row in it: a
 * province's day holds millions, and records that release a citizen's data
 * land every second, so a count dropped at each such record would be redone
 * at every view. Each row of audit_rollup_citizen carries the watermark of
 * the refresh that added it (migration 0009), so a count taken as of
 * watermark W moves to W' by adding, per app, the citizens whose rows were
 * added in (W, W'] inside the range and who appear in no hour of the range as
 * of W: index probes per newly seen citizen, not per citizen in the range.
 * Both the first count and each step read only rows at or below their
 * watermark, so rows a concurrent refresh adds meanwhile are counted once,
 * by the next step.
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";
import type { RollupView } from "./rollupCache.ts";

/**
 * Distinct citizens per app over the hours [from, to) (ms), as of the view's
 * watermark, kept by the view between views.
 */
export function countCitizensPerApp(source: RollupSource, view: RollupView, from: number, to: number): Promise<ReadonlyMap<string, number>> {
  return view.keep(`citizens per app ${from} ${to}`, "citizens", from, to, {
    afresh: (watermark) => countAfresh(source, from, to, watermark),
    update: async (known, since, watermark) => {
      const citizensByApp = new Map(known);
      for (const row of await readNewCitizens(source, from, to, since, watermark)) {
        citizensByApp.set(row.app, (citizensByApp.get(row.app) ?? 0) + row.citizens);
      }
      return citizensByApp;
    },
  });
}

/** The apps with the most distinct citizens, most first, then by name (code point order, as the database's "C" collation). */
export function topAppsOf(citizensByApp: ReadonlyMap<string, number>, limit: number): Array<{ app: string; citizens: number }> {
  return [...citizensByApp]
    .map(([app, citizens]) => ({ app, citizens }))
    .sort((a, b) => b.citizens - a.citizens || Buffer.compare(Buffer.from(a.app), Buffer.from(b.app)))
    .slice(0, Math.max(0, limit));
}

/** Rows rolled up at or before `watermark` (rows from before migration 0009 carry none and are older than any). */
const AS_OF = (alias: string, param: string) => `("${alias}"."added_at_seq" IS NULL OR "${alias}"."added_at_seq" <= ${param}::bigint)`;

async function countAfresh(source: RollupSource, from: number, to: number, watermark: bigint): Promise<Map<string, number>> {
  const rows = await queryRollups<Array<{ app: string; citizens: number }>>(
    source,
    `SELECT "app", count(DISTINCT "citizen")::int AS "citizens" FROM "audit_rollup_citizen" AS "c"
     WHERE "hour" >= $1 AND "hour" < $2 AND ${AS_OF("c", "$3")} GROUP BY 1`,
    new Date(from),
    new Date(to),
    watermark.toString(),
  );
  return new Map(rows.map((row) => [row.app, row.citizens]));
}

/** Per app, the citizens first added to the range in (since, until]: rows added then, whose (app, citizen) the range did not hold at `since`. */
function readNewCitizens(source: RollupSource, from: number, to: number, since: bigint, until: bigint): Promise<Array<{ app: string; citizens: number }>> {
  return queryRollups<Array<{ app: string; citizens: number }>>(
    source,
    `SELECT "n"."app", count(DISTINCT "n"."citizen")::int AS "citizens" FROM "audit_rollup_citizen" AS "n"
     WHERE "n"."added_at_seq" > $3::bigint AND "n"."added_at_seq" <= $4::bigint AND "n"."hour" >= $1 AND "n"."hour" < $2
       AND NOT EXISTS (
         SELECT 1 FROM "audit_rollup_citizen" AS "o"
         WHERE "o"."app" = "n"."app" AND "o"."citizen" = "n"."citizen" AND "o"."hour" >= $1 AND "o"."hour" < $2 AND ${AS_OF("o", "$3")}
       )
     GROUP BY 1`,
    new Date(from),
    new Date(to),
    since.toString(),
    until.toString(),
  );
}
