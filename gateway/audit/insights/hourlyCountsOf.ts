/**
 * auditSummary's series as columns (`hourly`): the hours once, then one row
 * per app and purpose with a value per hour. The audit page draws its time
 * chart from this; with tens of apps a day's series is about 500 objects of
 * five fields, the columns about 25 rows of lists: less to execute, sign and
 * send.
 */
import { HOUR_MS, type HourRow } from "./readRollups.ts";

export interface HourlyCounts {
  hours: Date[];
  rows: Array<{ app: string; purpose: string; requests: number[]; reads: number[]; denials: number[] }>;
}

/**
 * @param from the first hour (ms)
 * @param end the end of the last hour (ms)
 * @param series rows with hours in [from, end)
 * @returns rows by app, then purpose (series' order within an hour)
 */
export function hourlyCountsOf(from: number, end: number, series: readonly HourRow[]): HourlyCounts {
  const hours: Date[] = [];
  for (let hour = from; hour < end; hour += HOUR_MS) hours.push(new Date(hour));
  const rows = new Map<string, HourlyCounts["rows"][number]>();
  for (const row of series) {
    const key = `${row.app}\u0000${row.purpose}`;
    let counts = rows.get(key);
    if (!counts) {
      rows.set(key, (counts = { app: row.app, purpose: row.purpose, requests: hours.map(() => 0), reads: hours.map(() => 0), denials: hours.map(() => 0) }));
    }
    const i = Math.floor((row.hour.getTime() - from) / HOUR_MS);
    if (i < 0 || i >= hours.length) continue;
    counts.requests[i]! += row.requests;
    counts.reads[i]! += row.reads;
    counts.denials[i]! += row.denials;
  }
  return { hours, rows: [...rows.values()].sort((a, b) => a.app.localeCompare(b.app) || a.purpose.localeCompare(b.purpose)) };
}
