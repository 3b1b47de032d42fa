/**
 * Thresholds of the five anomaly rules (detectAuditAnomalies), read from the
 * environment by gateway/config.ts. Every rule looks at hours of the chosen
 * range against the 7 days before each hour.
 */
export interface AnomalyThresholds {
  /** Distinct citizens: an app's hour is flagged above this many times its trailing 7-day hourly median (`ANOMALY_DISTINCT_CITIZENS_FACTOR`). @default 3 */
  distinctCitizensFactor: number;
  /** …and above at least this many citizens, so a new or quiet app is not flagged for reading a few (`ANOMALY_DISTINCT_CITIZENS_MIN`). @default 20 */
  distinctCitizensMinimum: number;
  /** Threshold probing: distinct arguments one app sends for one citizen's verification field in the range (`ANOMALY_PROBING_THRESHOLDS`). @default 4 */
  probingDistinctArguments: number;
  /** Denial ratio: an hour's denied share above the app's trailing 7-day share by this many percentage points (`ANOMALY_DENIAL_JUMP_PERCENT`). @default 30 */
  denialJumpPercent: number;
  /** …in an hour with at least this many requests (`ANOMALY_DENIAL_MIN_REQUESTS`). @default 10 */
  denialMinimumRequests: number;
  /** Off-hours: service hours start, local hour (`AUDIT_SERVICE_HOURS`, e.g. `8-20`). @default 8 */
  serviceHoursStart: number;
  /** Service hours end, local hour, exclusive. @default 20 */
  serviceHoursEnd: number;
  /** The time zone service hours are in (`AUDIT_TIME_ZONE`). @default "Asia/Shanghai" */
  timeZone: string;
  /** Reads in one hour outside service hours that make a burst (`ANOMALY_OFF_HOURS_MIN_READS`). @default 5 */
  offHoursMinimumReads: number;
  /** Purpose drift: reads an app and purpose need in the trailing 7 days before drift is judged (`ANOMALY_DRIFT_MIN_HISTORY`). @default 20 */
  driftMinimumHistory: number;
  /** A field is usual for an app and purpose when at least this percent of its trailing reads touched it (`ANOMALY_DRIFT_USUAL_PERCENT`). @default 1 */
  driftUsualPercent: number;
}

export const DEFAULT_ANOMALY_THRESHOLDS: Readonly<AnomalyThresholds> = Object.freeze({
  distinctCitizensFactor: 3,
  distinctCitizensMinimum: 20,
  probingDistinctArguments: 4,
  denialJumpPercent: 30,
  denialMinimumRequests: 10,
  serviceHoursStart: 8,
  serviceHoursEnd: 20,
  timeZone: "Asia/Shanghai",
  offHoursMinimumReads: 5,
  driftMinimumHistory: 20,
  driftUsualPercent: 1,
});
