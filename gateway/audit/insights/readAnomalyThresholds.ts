/** Reads the anomaly rules' thresholds for gateway/config.ts (the only reader of the environment). */
import type { EnvReader } from "../../../platform/EnvReader.ts";
import { DEFAULT_ANOMALY_THRESHOLDS as D, type AnomalyThresholds } from "./AnomalyThresholds.ts";

export function readAnomalyThresholds(reader: EnvReader): Readonly<AnomalyThresholds> {
  const hours = reader.string("AUDIT_SERVICE_HOURS", `${D.serviceHoursStart}-${D.serviceHoursEnd}`);
  const match = /^(\d{1,2})-(\d{1,2})$/.exec(hours);
  let [serviceHoursStart, serviceHoursEnd] = [D.serviceHoursStart, D.serviceHoursEnd];
  if (match && Number(match[1]) <= 23 && Number(match[2]) <= 24 && match[1] !== match[2]) [serviceHoursStart, serviceHoursEnd] = [Number(match[1]), Number(match[2])];
  else reader.problem(`AUDIT_SERVICE_HOURS must be START-END in local hours, e.g. 8-20, got ${JSON.stringify(hours)}`);
  const timeZone = reader.string("AUDIT_TIME_ZONE", D.timeZone);
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    reader.problem(`AUDIT_TIME_ZONE must be an IANA time zone such as Asia/Shanghai, got ${JSON.stringify(timeZone)}`);
  }
  return Object.freeze({
    distinctCitizensFactor: reader.integer("ANOMALY_DISTINCT_CITIZENS_FACTOR", D.distinctCitizensFactor, 1, 1000),
    distinctCitizensMinimum: reader.integer("ANOMALY_DISTINCT_CITIZENS_MIN", D.distinctCitizensMinimum, 0, 10_000_000),
    probingDistinctArguments: reader.integer("ANOMALY_PROBING_THRESHOLDS", D.probingDistinctArguments, 2, 10_000),
    denialJumpPercent: reader.integer("ANOMALY_DENIAL_JUMP_PERCENT", D.denialJumpPercent, 1, 100),
    denialMinimumRequests: reader.integer("ANOMALY_DENIAL_MIN_REQUESTS", D.denialMinimumRequests, 1, 10_000_000),
    serviceHoursStart,
    serviceHoursEnd,
    timeZone,
    offHoursMinimumReads: reader.integer("ANOMALY_OFF_HOURS_MIN_READS", D.offHoursMinimumReads, 1, 10_000_000),
    driftMinimumHistory: reader.integer("ANOMALY_DRIFT_MIN_HISTORY", D.driftMinimumHistory, 1, 10_000_000),
    driftUsualPercent: reader.integer("ANOMALY_DRIFT_USUAL_PERCENT", D.driftUsualPercent, 1, 100),
  });
}
