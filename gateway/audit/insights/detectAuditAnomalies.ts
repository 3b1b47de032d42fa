/**
 * The five anomaly rules, computed from the hourly rollups for the hours in
 * [since, until), each hour judged against the 7 days before it:
 *
 * 1. DISTINCT_CITIZENS: an app read more distinct citizens in an hour than
 *    `distinctCitizensFactor` times its trailing hourly median (over the hours
 *    it was active), and more than `distinctCitizensMinimum`.
 * 2. THRESHOLD_PROBING: one app asked one citizen's verification field with
 *    at least `probingDistinctArguments` distinct arguments in the range.
 * 3. DENIAL_RATIO: an app's denied share in an hour (of at least
 *    `denialMinimumRequests` requests) is `denialJumpPercent` points above
 *    its trailing share.
 * 4. OFF_HOURS: at least `offHoursMinimumReads` reads in an hour outside
 *    service hours (local time in `timeZone`).
 * 5. PURPOSE_DRIFT: an app read, for a purpose with at least
 *    `driftMinimumHistory` trailing reads, a field fewer than
 *    `driftUsualPercent` percent of those reads touched.
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";
import type { AnomalyThresholds } from "./AnomalyThresholds.ts";
import type { AnomalyRule, AnomalyScope, AuditAnomaly } from "./AuditAnomaly.ts";
import { ceilHour, HOUR_MS, hourOf, readHours, readReach, type HourRow, type ReachRow } from "./readRollups.ts";
import { MAX_CACHED_HOURS, viewRollups, type HourSlice, type RollupView } from "./rollupCache.ts";
import { refreshAuditRollups } from "./refreshAuditRollups.ts";
import { keptProbedCitizens, readProbedCitizens, type ProbedCitizen } from "./probedCitizens.ts";

const TRAILING_MS = 7 * 24 * HOUR_MS;

interface Rollups {
  since: Date;
  until: Date;
  hours: HourRow[];
  reach: ReachRow[];
}

function flag(rule: AnomalyRule, scope: AnomalyScope, observed: number, threshold: number, summary: string): AuditAnomaly {
  const id = [rule, scope.app, scope.purpose ?? "", scope.citizen ?? "", (scope.fields ?? []).join("+"), scope.since.toISOString()].join("|");
  return { rule, id, summary, observed, threshold, scope };
}

const inRange = (hour: Date, rollups: Rollups) => hour >= rollups.since && hour < rollups.until;
const trailing = (row: { hour: Date }, hour: Date) => row.hour.getTime() < hour.getTime() && row.hour.getTime() >= hour.getTime() - TRAILING_MS;
const hourScope = (app: string, hour: Date): AnomalyScope => ({ app, since: hour, until: new Date(hour.getTime() + HOUR_MS) });

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Sums hour rows per app and hour, across purposes. */
function perAppHour(hours: HourRow[]): Map<string, Array<{ hour: Date; requests: number; reads: number; denials: number }>> {
  const byApp = new Map<string, Map<number, { hour: Date; requests: number; reads: number; denials: number }>>();
  for (const row of hours) {
    const app = byApp.get(row.app) ?? new Map();
    byApp.set(row.app, app);
    const slot = app.get(row.hour.getTime()) ?? { hour: row.hour, requests: 0, reads: 0, denials: 0 };
    slot.requests += row.requests;
    slot.reads += row.reads;
    slot.denials += row.denials;
    app.set(row.hour.getTime(), slot);
  }
  return new Map([...byApp].map(([app, slots]) => [app, [...slots.values()]]));
}

/** Groups rows by a key, keeping their order. */
function groupBy<Row>(rows: Row[], keyOf: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

function distinctCitizens(rollups: Rollups, t: AnomalyThresholds): AuditAnomaly[] {
  const flags: AuditAnomaly[] = [];
  for (const [app, rows] of groupBy(rollups.reach, (row) => row.app)) {
    if (!app) continue;
    for (const row of rows) {
      if (!inRange(row.hour, rollups)) continue;
      const history = rows.filter((other) => trailing(other, row.hour)).map((other) => other.citizens);
      const usual = median(history);
      const threshold = Math.max(t.distinctCitizensFactor * usual, t.distinctCitizensMinimum);
      if (row.citizens > threshold) {
        flags.push(flag("DISTINCT_CITIZENS", { ...hourScope(app, row.hour), released: true }, row.citizens, threshold,
          `${app} read ${row.citizens} distinct citizens in one hour; its trailing 7-day hourly median is ${usual}`));
      }
    }
  }
  return flags;
}

function thresholdProbing(rows: ProbedCitizen[], t: AnomalyThresholds): AuditAnomaly[] {
  return rows.map((row) =>
    flag("THRESHOLD_PROBING",
      { app: row.app, since: row.first, until: new Date(row.last.getTime() + HOUR_MS), citizen: row.citizen, fields: [row.coordinate] },
      row.arguments, t.probingDistinctArguments,
      `${row.app} asked ${row.coordinate} of one citizen (${row.citizen.slice(0, 10)}…) with ${row.arguments} distinct arguments`),
  );
}

function denialRatio(rollups: Rollups, t: AnomalyThresholds): AuditAnomaly[] {
  const flags: AuditAnomaly[] = [];
  for (const [app, slots] of perAppHour(rollups.hours)) {
    if (!app) continue;
    for (const slot of slots) {
      if (!inRange(slot.hour, rollups) || slot.requests < t.denialMinimumRequests) continue;
      const before = slots.filter((other) => trailing(other, slot.hour));
      const requests = before.reduce((sum, other) => sum + other.requests, 0);
      const usual = requests === 0 ? 0 : (100 * before.reduce((sum, other) => sum + other.denials, 0)) / requests;
      const share = (100 * slot.denials) / slot.requests;
      const threshold = usual + t.denialJumpPercent;
      if (share >= threshold) {
        flags.push(flag("DENIAL_RATIO", { ...hourScope(app, slot.hour), denied: true }, Math.round(share), Math.round(threshold),
          `${app} was denied ${slot.denials} of ${slot.requests} requests in one hour (${Math.round(share)}%); its trailing 7-day share is ${Math.round(usual)}%`));
      }
    }
  }
  return flags;
}

/** One formatter per time zone: building one costs far more than using it. */
const hourFormats = new Map<string, Intl.DateTimeFormat>();

function localHour(time: Date, timeZone: string): number {
  let format = hourFormats.get(timeZone);
  if (!format) hourFormats.set(timeZone, (format = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "numeric", hourCycle: "h23" })));
  const part = format.formatToParts(time).find((p) => p.type === "hour");
  return Number(part?.value ?? 0);
}

/** Whether a local hour is within [start, end); service hours may wrap past midnight. */
export function isServiceHour(hour: number, t: Pick<AnomalyThresholds, "serviceHoursStart" | "serviceHoursEnd">): boolean {
  const { serviceHoursStart: start, serviceHoursEnd: end } = t;
  return start <= end ? hour >= start && hour < end : hour >= start || hour < end;
}

function offHours(rollups: Rollups, t: AnomalyThresholds): AuditAnomaly[] {
  const flags: AuditAnomaly[] = [];
  for (const [app, slots] of perAppHour(rollups.hours)) {
    if (!app) continue;
    for (const slot of slots) {
      if (!inRange(slot.hour, rollups) || slot.reads < t.offHoursMinimumReads) continue;
      const local = localHour(slot.hour, t.timeZone);
      if (isServiceHour(local, t)) continue;
      flags.push(flag("OFF_HOURS", { ...hourScope(app, slot.hour), released: true }, slot.reads, t.offHoursMinimumReads,
        `${app} read data ${slot.reads} times at ${String(local).padStart(2, "0")}:00 (${t.timeZone}), outside service hours ${t.serviceHoursStart}:00–${t.serviceHoursEnd}:00`));
    }
  }
  return flags;
}

/**
 * PURPOSE_DRIFT, computed by the database from the rollups: each in-range
 * hour's field reads next to the same app, purpose and field's reads in the
 * 7 days before, so that only the flagged hours come back, not a week of
 * field rows.
 */
async function purposeDrift(source: RollupSource, rollups: Rollups, t: AnomalyThresholds): Promise<AuditAnomaly[]> {
  const from = new Date(rollups.since.getTime() - TRAILING_MS);
  const trailingWindow = `ORDER BY "hour" RANGE BETWEEN interval '7 days' PRECEDING AND interval '1 hour' PRECEDING`;
  const rows = await queryRollups<Array<{ hour: Date; app: string; purpose: string; history: number; fields: string[] }>>(
    source,
    `WITH "h" AS (
       SELECT "hour", "app", "purpose", "reads",
              coalesce(sum("reads") OVER (PARTITION BY "app" COLLATE "C", "purpose" COLLATE "C" ${trailingWindow}), 0)::bigint AS "history"
       FROM "audit_rollup_hour" WHERE "hour" >= $1 AND "hour" < $3
     ), "f" AS (
       SELECT "hour", "app", "purpose", "field",
              coalesce(sum("reads") OVER (PARTITION BY "app" COLLATE "C", "purpose" COLLATE "C", "field" COLLATE "C" ${trailingWindow}), 0)::bigint AS "usual"
       FROM "audit_rollup_field" WHERE "hour" >= $1 AND "hour" < $3 AND "reads" > 0
     )
     SELECT "h"."hour", "h"."app", "h"."purpose", "h"."history"::int AS "history", array_agg("f"."field" ORDER BY "f"."field" COLLATE "C") AS "fields"
     FROM "h" JOIN "f" ON "f"."hour" = "h"."hour" AND "f"."app" = "h"."app" AND "f"."purpose" = "h"."purpose"
     WHERE "h"."hour" >= $2 AND "f"."hour" >= $2 AND "h"."reads" > 0 AND "h"."app" <> '' AND "h"."history" >= $4 AND 100 * "f"."usual" < $5 * "h"."history"
     GROUP BY 1, 2, 3, 4`,
    from,
    rollups.since,
    rollups.until,
    t.driftMinimumHistory,
    t.driftUsualPercent,
  );
  return rows.map((row) =>
    flag("PURPOSE_DRIFT", { ...hourScope(row.app, row.hour), purpose: row.purpose, fields: row.fields, released: true }, row.fields.length, t.driftUsualPercent,
      `${row.app} read ${row.fields.join(", ")} for ${row.purpose || "no purpose"}, which under ${t.driftUsualPercent}% of its ${row.history} reads for that purpose in the 7 days before touched`),
  );
}

/** One hour's flags of the rules judged hour by hour (all but THRESHOLD_PROBING). */
interface HourFlags {
  distinct: AuditAnomaly[];
  denial: AuditAnomaly[];
  offHours: AuditAnomaly[];
  drift: AuditAnomaly[];
}

/** Orders strings by code point, as PostgreSQL's "C" collation does. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const keyOf = (...parts: string[]) => parts.join("\u0000");

/** What the rules judge an hour against: the 7 days before it, summed up once (it does not change with that hour). */
interface Trailing {
  /** Each active hour's distinct citizens, per app. */
  citizensByApp: Map<string, number[]>;
  /** Requests and denials per app. */
  requestsByApp: Map<string, { requests: number; denials: number }>;
  /** Reads per app and purpose. */
  readsByPurpose: Map<string, number>;
  /** Reads per app, purpose and field. */
  readsByField: Map<string, number>;
}

function trailingOf(view: RollupView, hour: number): Trailing {
  const trailing: Trailing = { citizensByApp: new Map(), requestsByApp: new Map(), readsByPurpose: new Map(), readsByField: new Map() };
  for (let h = hour - TRAILING_MS; h < hour; h += HOUR_MS) {
    const slice = view.slice(h);
    for (const row of slice.reach) {
      const values = trailing.citizensByApp.get(row.app);
      if (values) values.push(row.citizens);
      else trailing.citizensByApp.set(row.app, [row.citizens]);
    }
    for (const row of slice.hours) {
      const sums = trailing.requestsByApp.get(row.app) ?? { requests: 0, denials: 0 };
      sums.requests += row.requests;
      sums.denials += row.denials;
      trailing.requestsByApp.set(row.app, sums);
      const key = keyOf(row.app, row.purpose);
      trailing.readsByPurpose.set(key, (trailing.readsByPurpose.get(key) ?? 0) + row.reads);
    }
    for (const row of slice.fields) {
      if (row.reads <= 0) continue;
      const key = keyOf(row.app, row.purpose, row.field);
      trailing.readsByField.set(key, (trailing.readsByField.get(key) ?? 0) + row.reads);
    }
  }
  return trailing;
}

/**
 * The flags of one hour from the rollups in memory (that hour, and the 7 days
 * before it summed up in `trailing`): the same rules as distinctCitizens,
 * denialRatio, offHours and purposeDrift above, for one hour.
 */
function flagsOfHour(slice: HourSlice, hour: number, trailing: Trailing, t: AnomalyThresholds): HourFlags {
  const at = new Date(hour);
  const flags: HourFlags = { distinct: [], denial: [], offHours: [], drift: [] };

  for (const row of slice.reach) {
    if (!row.app) continue;
    const usual = median(trailing.citizensByApp.get(row.app) ?? []);
    const threshold = Math.max(t.distinctCitizensFactor * usual, t.distinctCitizensMinimum);
    if (row.citizens > threshold) {
      flags.distinct.push(flag("DISTINCT_CITIZENS", { ...hourScope(row.app, at), released: true }, row.citizens, threshold,
        `${row.app} read ${row.citizens} distinct citizens in one hour; its trailing 7-day hourly median is ${usual}`));
    }
  }

  for (const [app, [slot]] of perAppHour(slice.hours)) {
    if (!app || !slot) continue;
    if (slot.requests >= t.denialMinimumRequests) {
      const before = trailing.requestsByApp.get(app) ?? { requests: 0, denials: 0 };
      const usual = before.requests === 0 ? 0 : (100 * before.denials) / before.requests;
      const share = (100 * slot.denials) / slot.requests;
      const threshold = usual + t.denialJumpPercent;
      if (share >= threshold) {
        flags.denial.push(flag("DENIAL_RATIO", { ...hourScope(app, at), denied: true }, Math.round(share), Math.round(threshold),
          `${app} was denied ${slot.denials} of ${slot.requests} requests in one hour (${Math.round(share)}%); its trailing 7-day share is ${Math.round(usual)}%`));
      }
    }
    if (slot.reads >= t.offHoursMinimumReads) {
      const local = localHour(at, t.timeZone);
      if (!isServiceHour(local, t)) {
        flags.offHours.push(flag("OFF_HOURS", { ...hourScope(app, at), released: true }, slot.reads, t.offHoursMinimumReads,
          `${app} read data ${slot.reads} times at ${String(local).padStart(2, "0")}:00 (${t.timeZone}), outside service hours ${t.serviceHoursStart}:00–${t.serviceHoursEnd}:00`));
      }
    }
  }

  for (const row of slice.hours) {
    if (row.reads <= 0 || !row.app) continue;
    const history = trailing.readsByPurpose.get(keyOf(row.app, row.purpose)) ?? 0;
    if (history < t.driftMinimumHistory) continue;
    const fields = slice.fields
      .filter((f) => f.reads > 0 && f.app === row.app && f.purpose === row.purpose && 100 * (trailing.readsByField.get(keyOf(f.app, f.purpose, f.field)) ?? 0) < t.driftUsualPercent * history)
      .map((f) => f.field)
      .sort(byCodePoint);
    if (fields.length === 0) continue;
    flags.drift.push(flag("PURPOSE_DRIFT", { ...hourScope(row.app, at), purpose: row.purpose, fields, released: true }, fields.length, t.driftUsualPercent,
      `${row.app} read ${fields.join(", ")} for ${row.purpose || "no purpose"}, which under ${t.driftUsualPercent}% of its ${history} reads for that purpose in the 7 days before touched`));
  }
  return flags;
}

const newestFirst = (flags: AuditAnomaly[]) => flags.sort((a, b) => b.scope.since.getTime() - a.scope.since.getTime() || a.id.localeCompare(b.id));

/**
 * Every flag for the hours in [since, until), by rule, newest first within a
 * rule, computed afresh from the rollups in the database (ranges too long to
 * keep in memory; and the reference the kept flags are tested against).
 */
export async function detectAuditAnomaliesAfresh(source: RollupSource, range: { since: Date; until: Date }, thresholds: AnomalyThresholds): Promise<AuditAnomaly[]> {
  await refreshAuditRollups(source);
  const since = hourOf(range.since);
  const { until } = range;
  const from = new Date(since.getTime() - TRAILING_MS);
  const [hours, reach] = await Promise.all([readHours(source, from, until), readReach(source, from, until)]);
  const rollups: Rollups = { since, until, hours, reach };
  return [
    ...newestFirst(distinctCitizens(rollups, thresholds)),
    ...thresholdProbing(await readProbedCitizens(source, since, until, thresholds.probingDistinctArguments), thresholds),
    ...newestFirst(denialRatio(rollups, thresholds)),
    ...newestFirst(offHours(rollups, thresholds)),
    ...newestFirst(await purposeDrift(source, rollups, thresholds)),
  ];
}

/**
 * Every flag for the hours in [since, until), by rule, newest first within a
 * rule. Each hour's flags are kept in memory (rollupCache.ts) until a record
 * in that hour or the 7 days before it is rolled up, so a view recomputes
 * only the hours new records touched (usually the current one).
 */
export async function detectAuditAnomalies(source: RollupSource, range: { since: Date; until: Date }, thresholds: AnomalyThresholds): Promise<AuditAnomaly[]> {
  const since = hourOf(range.since).getTime();
  const end = ceilHour(range.until);
  const from = since - TRAILING_MS;
  if (end <= since || (end - from) / HOUR_MS > MAX_CACHED_HOURS) return detectAuditAnomaliesAfresh(source, range, thresholds);
  const rules = JSON.stringify(thresholds);
  return viewRollups(source, from, end, async (view) => {
    const perHour: HourFlags[] = [];
    for (let hour = since; hour < end; hour += HOUR_MS) {
      perHour.push(
        view.memo(`flags ${rules} ${hour}`, "any", hour - TRAILING_MS, hour + HOUR_MS, () =>
          flagsOfHour(view.slice(hour), hour, view.memo(`trailing ${hour}`, "any", hour - TRAILING_MS, hour, () => trailingOf(view, hour)), thresholds),
        ),
      );
    }
    const probing = thresholdProbing(await keptProbedCitizens(source, view, since, end, thresholds.probingDistinctArguments), thresholds);
    return [
      ...newestFirst(perHour.flatMap((flags) => flags.distinct)),
      ...probing,
      ...newestFirst(perHour.flatMap((flags) => flags.denial)),
      ...newestFirst(perHour.flatMap((flags) => flags.offHours)),
      ...newestFirst(perHour.flatMap((flags) => flags.drift)),
    ];
  });
}
