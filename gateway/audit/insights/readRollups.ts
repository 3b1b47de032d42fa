/**
 * Reads the hourly rollups (never audit_record) for a range of hours: what
 * auditSummary and the anomaly rules are computed from.
 */
import { queryRollups, type RollupSource } from "./RollupSource.ts";

export interface HourRow {
  hour: Date;
  app: string;
  purpose: string;
  requests: number;
  reads: number;
  denials: number;
}

export interface ReachRow {
  hour: Date;
  app: string;
  citizens: number;
}

export interface FieldRow {
  hour: Date;
  app: string;
  purpose: string;
  field: string;
  reads: number;
  denials: number;
}

export const HOUR_MS = 3_600_000;

/** The start of the hour `time` is in. */
export const hourOf = (time: Date) => new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS);

/** The end (ms) of the last hour that starts before `time`: rows with `hour < time` are those with `hour < ceilHour(time)`. */
export const ceilHour = (time: Date) => Math.ceil(time.getTime() / HOUR_MS) * HOUR_MS;

export function readHours(source: RollupSource, since: Date, until: Date): Promise<HourRow[]> {
  return queryRollups<HourRow[]>(
    source,
    `SELECT "hour", "app", "purpose", "requests", "reads", "denials" FROM "audit_rollup_hour" WHERE "hour" >= $1 AND "hour" < $2`,
    since,
    until,
  );
}

export function readReach(source: RollupSource, since: Date, until: Date): Promise<ReachRow[]> {
  return queryRollups<ReachRow[]>(source, `SELECT "hour", "app", "citizens" FROM "audit_rollup_reach" WHERE "hour" >= $1 AND "hour" < $2`, since, until);
}

export function readFields(source: RollupSource, since: Date, until: Date): Promise<FieldRow[]> {
  return queryRollups<FieldRow[]>(
    source,
    `SELECT "hour", "app", "purpose", "field", "reads", "denials" FROM "audit_rollup_field" WHERE "hour" >= $1 AND "hour" < $2`,
    since,
    until,
  );
}

/** Reads per agency of one hour and app. */
export interface AgencyRow {
  hour: Date;
  agency: string;
  reads: number;
}

/** Every rollup of the hours [since, until) that a view keeps in memory. */
export interface RollupRows {
  hours: HourRow[];
  reach: ReachRow[];
  fields: FieldRow[];
  agencies: AgencyRow[];
}

/**
 * The four rollups a view keeps, for the hours [since, until), in one
 * statement and one round trip (each rollup as a JSON array: a view usually
 * reads one hour, and four round trips cost more than the rows).
 */
export async function readRollupRows(source: RollupSource, since: Date, until: Date): Promise<RollupRows> {
  const [row] = await queryRollups<Array<{ hours: unknown; reach: unknown; fields: unknown; agencies: unknown }>>(
    source,
    `SELECT
       (SELECT coalesce(json_agg(json_build_array("hour", "app", "purpose", "requests", "reads", "denials")), '[]') FROM "audit_rollup_hour" WHERE "hour" >= $1 AND "hour" < $2)::text AS "hours",
       (SELECT coalesce(json_agg(json_build_array("hour", "app", "citizens")), '[]') FROM "audit_rollup_reach" WHERE "hour" >= $1 AND "hour" < $2)::text AS "reach",
       (SELECT coalesce(json_agg(json_build_array("hour", "app", "purpose", "field", "reads", "denials")), '[]') FROM "audit_rollup_field" WHERE "hour" >= $1 AND "hour" < $2)::text AS "fields",
       (SELECT coalesce(json_agg(json_build_array("hour", "agency", "reads")), '[]') FROM (
          SELECT "hour", "agency", sum("reads")::int AS "reads" FROM "audit_rollup_agency" WHERE "hour" >= $1 AND "hour" < $2 GROUP BY 1, 2
        ) AS "a")::text AS "agencies"`,
    since,
    until,
  );
  // As text, parsed here: the drivers differ on json columns; the hours come as ISO strings.
  const parse = (value: unknown) => JSON.parse(String(value ?? "[]")) as unknown[][];
  const hourCache = new Map<string, Date>();
  const hourOfText = (text: unknown) => {
    let hour = hourCache.get(text as string);
    if (!hour) hourCache.set(text as string, (hour = new Date(text as string)));
    return hour;
  };
  return {
    hours: parse(row?.hours).map(([hour, app, purpose, requests, reads, denials]) => ({ hour: hourOfText(hour), app, purpose, requests, reads, denials }) as HourRow),
    reach: parse(row?.reach).map(([hour, app, citizens]) => ({ hour: hourOfText(hour), app, citizens }) as ReachRow),
    fields: parse(row?.fields).map(([hour, app, purpose, field, reads, denials]) => ({ hour: hourOfText(hour), app, purpose, field, reads, denials }) as FieldRow),
    agencies: parse(row?.agencies).map(([hour, agency, reads]) => ({ hour: hourOfText(hour), agency, reads }) as AgencyRow),
  };
}
