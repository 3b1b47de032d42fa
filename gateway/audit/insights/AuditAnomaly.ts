/** One anomaly flag: what a rule saw, and the scope of the records behind it. */
export type AnomalyRule = "DISTINCT_CITIZENS" | "THRESHOLD_PROBING" | "DENIAL_RATIO" | "OFF_HOURS" | "PURPOSE_DRIFT";

export const ANOMALY_RULES: readonly AnomalyRule[] = ["DISTINCT_CITIZENS", "THRESHOLD_PROBING", "DENIAL_RATIO", "OFF_HOURS", "PURPOSE_DRIFT"];

/** Which records a flag stands on: all of these conditions, within [since, until). */
export interface AnomalyScope {
  app: string;
  since: Date;
  until: Date;
  purpose?: string;
  /** A citizen pseudonym among the record's citizens. */
  citizen?: string;
  /** Any of these among the record's requested fields. */
  fields?: string[];
  /** Only records that released data. */
  released?: boolean;
  /** Only records with a denial (DENIED, or denied fields). */
  denied?: boolean;
}

export interface AuditAnomaly {
  rule: AnomalyRule;
  /** Stable id: the rule and its scope. */
  id: string;
  /** One line an auditor reads. */
  summary: string;
  /** What was seen (citizens, distinct arguments, denied percent, reads, unusual fields). */
  observed: number;
  /** The value it crossed. */
  threshold: number;
  scope: AnomalyScope;
}
