/**
 * What the audit page draws for a range of hours: reads and denials per
 * hour, app and purpose; reads per agency; field reads per level (L1–L4);
 * the apps that read the most distinct citizens. Answered from the hourly
 * rollups, brought up to date first; the hours of short ranges are kept in
 * memory and re-read only when new records land in them (rollupCache.ts),
 * and a range's distinct citizens per app are updated from the citizens new
 * to it (countCitizensPerApp.ts).
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";
import { FIELD_LEVELS, type FieldLevel, type FieldLevelOf } from "./fieldLevelOf.ts";
import { ceilHour, HOUR_MS, hourOf, readFields, readHours, type FieldRow, type HourRow } from "./readRollups.ts";
import { MAX_CACHED_HOURS, viewRollups } from "./rollupCache.ts";
import { refreshAuditRollups } from "./refreshAuditRollups.ts";
import { countCitizensPerApp, topAppsOf } from "./countCitizensPerApp.ts";

export interface AuditSummary {
  since: Date;
  until: Date;
  series: HourRow[];
  agencies: Array<{ agency: string; reads: number }>;
  levels: Array<{ level: FieldLevel; reads: number }>;
  topApps: Array<{ app: string; citizens: number; reads: number }>;
}

/** @param levelOf the catalog's level of a field coordinate (fieldLevelsOf) */
export async function summarizeAudit(
  source: RollupSource,
  range: { since: Date; until: Date; topApps: number },
  levelOf: FieldLevelOf,
): Promise<AuditSummary> {
  const since = hourOf(range.since);
  const { until } = range;
  const from = since.getTime();
  const end = ceilHour(until);
  if (end <= from || (end - from) / HOUR_MS > MAX_CACHED_HOURS) return summarizeAuditAfresh(source, range, levelOf);
  // The hours' rows from memory (rollupCache.ts); the range's distinct citizens per app kept and updated.
  return viewRollups(source, from, end, async (view) => {
    const series: HourRow[] = [];
    const levelReads = new Map<FieldLevel, number>(FIELD_LEVELS.map((level) => [level, 0]));
    const agencyReads = new Map<string, number>();
    for (let hour = from; hour < end; hour += HOUR_MS) {
      const slice = view.slice(hour);
      // Kept with the hour's rows (one levelOf per gateway): each view sorts and classifies only the hours that changed.
      const kept = view.memo(`summary ${hour}`, "any", hour, hour + HOUR_MS, () => ({
        hours: [...slice.hours].sort(byAppAndPurpose),
        levels: levelReadsOf(slice.fields, levelOf),
      }));
      series.push(...kept.hours);
      for (const [level, reads] of kept.levels) levelReads.set(level, levelReads.get(level)! + reads);
      for (const row of slice.agencies) agencyReads.set(row.agency, (agencyReads.get(row.agency) ?? 0) + row.reads);
    }
    const topApps = topAppsOf(await countCitizensPerApp(source, view, from, end), range.topApps);
    // As ORDER BY 2 DESC, 1 in the database's "C" collation: by code point.
    const agencies = [...agencyReads]
      .map(([agency, reads]) => ({ agency, reads }))
      .sort((a, b) => b.reads - a.reads || Buffer.compare(Buffer.from(a.agency), Buffer.from(b.agency)));
    return summaryOf(since, until, series, levelReads, agencies, topApps);
  });
}

const byAppAndPurpose = (a: HourRow, b: HourRow) => a.app.localeCompare(b.app) || a.purpose.localeCompare(b.purpose);

/** Field reads per level, L1 to L4 (fields the catalog does not classify are left out). */
function levelReadsOf(fields: readonly FieldRow[], levelOf: FieldLevelOf): Map<FieldLevel, number> {
  const byLevel = new Map<FieldLevel, number>(FIELD_LEVELS.map((level) => [level, 0]));
  for (const row of fields) {
    const level = levelOf(row.field);
    if (level) byLevel.set(level, byLevel.get(level)! + row.reads);
  }
  return byLevel;
}

function readTopApps(source: RollupSource, since: Date, until: Date, topApps: number): Promise<Array<{ app: string; citizens: number }>> {
  return queryRollups<Array<{ app: string; citizens: number }>>(
    source,
    `SELECT "app", count(DISTINCT "citizen")::int AS "citizens" FROM "audit_rollup_citizen"
     WHERE "hour" >= $1 AND "hour" < $2 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $3`,
    since,
    until,
    topApps,
  );
}

function summaryOf(
  since: Date,
  until: Date,
  series: HourRow[],
  byLevel: Map<FieldLevel, number>,
  agencies: Array<{ agency: string; reads: number }>,
  topApps: Array<{ app: string; citizens: number }>,
): AuditSummary {
  const readsOf = new Map<string, number>();
  for (const row of series) readsOf.set(row.app, (readsOf.get(row.app) ?? 0) + row.reads);
  // Usually sorted already (hour by hour, each hour's rows kept sorted): one pass.
  series.sort((a, b) => a.hour.getTime() - b.hour.getTime() || byAppAndPurpose(a, b));
  return {
    since,
    until,
    series,
    agencies,
    levels: [...byLevel].map(([level, reads]) => ({ level, reads })),
    topApps: topApps.map((row) => ({ ...row, reads: readsOf.get(row.app) ?? 0 })),
  };
}

/** The summary read afresh from the rollups in the database (ranges too long to keep in memory). */
async function summarizeAuditAfresh(
  source: RollupSource,
  range: { since: Date; until: Date; topApps: number },
  levelOf: FieldLevelOf,
): Promise<AuditSummary> {
  await refreshAuditRollups(source);
  const since = hourOf(range.since);
  const { until } = range;
  const [series, fields, agencies, topApps] = await Promise.all([
    readHours(source, since, until),
    readFields(source, since, until),
    queryRollups<Array<{ agency: string; reads: number }>>(
    source,
      `SELECT "agency", sum("reads")::int AS "reads" FROM "audit_rollup_agency" WHERE "hour" >= $1 AND "hour" < $2 GROUP BY 1 ORDER BY 2 DESC, 1`,
      since,
      until,
    ),
    readTopApps(source, since, until, range.topApps),
  ]);
  return summaryOf(since, until, series, levelReadsOf(fields, levelOf), agencies, topApps);
}
