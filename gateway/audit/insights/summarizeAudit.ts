/**
 * What the audit page draws for a range of hours: reads and denials per
 * hour, app and purpose; reads per agency; field reads per level (L1–L4);
 * the apps that read the most distinct citizens. Answered from the hourly
 * rollups, brought up to date first.
 */
import type { PrismaClient } from "../prisma/generated/client.ts";
import { FIELD_LEVELS, type FieldLevel, type FieldLevelOf } from "./fieldLevelOf.ts";
import { hourOf, readFields, readHours, type HourRow } from "./readRollups.ts";
import { refreshAuditRollups } from "./refreshAuditRollups.ts";

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
  prisma: PrismaClient,
  range: { since: Date; until: Date; topApps: number },
  levelOf: FieldLevelOf,
): Promise<AuditSummary> {
  await refreshAuditRollups(prisma);
  const since = hourOf(range.since);
  const { until } = range;
  const [series, fields, agencies, topApps] = await Promise.all([
    readHours(prisma, since, until),
    readFields(prisma, since, until),
    prisma.$queryRawUnsafe<Array<{ agency: string; reads: number }>>(
      `SELECT "agency", sum("reads")::int AS "reads" FROM "audit_rollup_agency" WHERE "hour" >= $1 AND "hour" < $2 GROUP BY 1 ORDER BY 2 DESC, 1`,
      since,
      until,
    ),
    prisma.$queryRawUnsafe<Array<{ app: string; citizens: number }>>(
      `SELECT "app", count(DISTINCT "citizen")::int AS "citizens" FROM "audit_rollup_citizen"
       WHERE "hour" >= $1 AND "hour" < $2 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $3`,
      since,
      until,
      range.topApps,
    ),
  ]);
  const byLevel = new Map<FieldLevel, number>(FIELD_LEVELS.map((level) => [level, 0]));
  for (const row of fields) {
    const level = levelOf(row.field);
    if (level) byLevel.set(level, byLevel.get(level)! + row.reads);
  }
  const readsOf = new Map<string, number>();
  for (const row of series) readsOf.set(row.app, (readsOf.get(row.app) ?? 0) + row.reads);
  series.sort((a, b) => a.hour.getTime() - b.hour.getTime() || a.app.localeCompare(b.app) || a.purpose.localeCompare(b.purpose));
  return {
    since,
    until,
    series,
    agencies,
    levels: [...byLevel].map(([level, reads]) => ({ level, reads })),
    topApps: topApps.map((row) => ({ ...row, reads: readsOf.get(row.app) ?? 0 })),
  };
}
