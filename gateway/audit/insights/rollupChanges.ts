/**
 * What the hourly rollups gained between two watermarks: the hours the newly
 * rolled-up records fall in, per kind of rollup they can change. The rollups
 * only ever grow from records (append-only) in the hour of each record's
 * `time`, so a result computed from hours outside these spans is still exact.
 * `audit_rollup_advance` (refreshAuditRollups.ts) reads them from the same
 * records it rolls up, by `seq`.
 */
import { hourOf } from "./readRollups.ts";

/** The first and last hour (inclusive) a kind of rollup changed in; null when it did not change. */
export type ChangedHours = { first: number; last: number } | null;

export interface RollupChanges {
  /** Requests, reads, denials, fields and agencies (every rolled-up record). */
  any: ChangedHours;
  /** Distinct citizens (records that released data about citizens). */
  citizens: ChangedHours;
  /** Verification arguments (records with verifications). */
  probes: ChangedHours;
}

const span = (first: Date | null, last: Date | null): ChangedHours =>
  first && last ? { first: hourOf(new Date(first)).getTime(), last: hourOf(new Date(last)).getTime() } : null;

/** The first and last record times, per kind, that `audit_rollup_advance` answers. */
export interface ChangeTimes {
  firstTime: Date | null;
  lastTime: Date | null;
  firstCitizenTime: Date | null;
  lastCitizenTime: Date | null;
  firstProbeTime: Date | null;
  lastProbeTime: Date | null;
}

/** The changes from the record times `audit_rollup_advance` answers. */
export function changesOf(row: ChangeTimes): RollupChanges {
  return {
    any: span(row.firstTime, row.lastTime),
    citizens: span(row.firstCitizenTime, row.lastCitizenTime),
    probes: span(row.firstProbeTime, row.lastProbeTime),
  };
}
