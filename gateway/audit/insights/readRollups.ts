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
