/**
 * The anomaly rules' thresholds as gateway/config.ts reads them: defaults,
 * overrides, and every bad value named in one ConfigError.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_ANOMALY_THRESHOLDS } from "../../gateway/audit/insights/AnomalyThresholds.ts";
import { isServiceHour } from "../../gateway/audit/insights/detectAuditAnomalies.ts";
import { readGatewayConfig } from "../../gateway/config.ts";

describe("anomaly thresholds in the gateway's config", () => {
  it("defaults to the documented values", () => {
    expect(readGatewayConfig({}).anomalies).toEqual(DEFAULT_ANOMALY_THRESHOLDS);
    expect(DEFAULT_ANOMALY_THRESHOLDS).toMatchObject({ distinctCitizensFactor: 3, serviceHoursStart: 8, serviceHoursEnd: 20, timeZone: "Asia/Shanghai" });
  });

  it("reads every threshold from the environment", () => {
    const config = readGatewayConfig({
      ANOMALY_DISTINCT_CITIZENS_FACTOR: "5",
      ANOMALY_DISTINCT_CITIZENS_MIN: "100",
      ANOMALY_PROBING_THRESHOLDS: "8",
      ANOMALY_DENIAL_JUMP_PERCENT: "50",
      ANOMALY_DENIAL_MIN_REQUESTS: "40",
      AUDIT_SERVICE_HOURS: "22-6",
      AUDIT_TIME_ZONE: "Europe/Tallinn",
      ANOMALY_OFF_HOURS_MIN_READS: "2",
      ANOMALY_DRIFT_MIN_HISTORY: "500",
      ANOMALY_DRIFT_USUAL_PERCENT: "5",
    });
    expect(config.anomalies).toEqual({
      distinctCitizensFactor: 5,
      distinctCitizensMinimum: 100,
      probingDistinctArguments: 8,
      denialJumpPercent: 50,
      denialMinimumRequests: 40,
      serviceHoursStart: 22,
      serviceHoursEnd: 6,
      timeZone: "Europe/Tallinn",
      offHoursMinimumReads: 2,
      driftMinimumHistory: 500,
      driftUsualPercent: 5,
    });
  });

  it("names every bad value in one error", () => {
    const bad = { ANOMALY_DISTINCT_CITIZENS_FACTOR: "0", AUDIT_SERVICE_HOURS: "nine to five", AUDIT_TIME_ZONE: "Mars/Olympus", ANOMALY_DENIAL_JUMP_PERCENT: "150" };
    let message = "";
    try {
      readGatewayConfig(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of Object.keys(bad)) expect(message).toContain(name);
  });

  it("service hours may wrap past midnight", () => {
    const day = { serviceHoursStart: 8, serviceHoursEnd: 20 };
    expect([7, 8, 19, 20].map((hour) => isServiceHour(hour, day))).toEqual([false, true, true, false]);
    const night = { serviceHoursStart: 22, serviceHoursEnd: 6 };
    expect([21, 22, 0, 5, 6].map((hour) => isServiceHour(hour, night))).toEqual([false, true, true, true, false]);
  });
});
