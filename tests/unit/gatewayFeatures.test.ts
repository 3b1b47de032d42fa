/**
 * The per-request features and the trace sampler as gateway/config.ts reads
 * them: all on by default, each switched off by its own variable, every bad
 * value named in one ConfigError.
 */
import { describe, expect, it } from "vitest";
import { readGatewayConfig } from "../../gateway/config.ts";

describe("feature switches in the gateway's config", () => {
  it("turns every feature on, and traces every request that is exported, by default", () => {
    const config = readGatewayConfig({});
    expect(config.features).toEqual({ receipts: true, metrics: true, verificationBudgets: true, accessLog: true });
    expect(config.observability.tracesSampler).toEqual({ name: "parentbased_always_on", ratio: 1 });
  });

  it("switches each feature off on its own", () => {
    const on = { receipts: true, metrics: true, verificationBudgets: true, accessLog: true };
    expect(readGatewayConfig({ RECEIPTS_ENABLED: "false" }).features).toEqual({ ...on, receipts: false });
    expect(readGatewayConfig({ METRICS_ENABLED: "0" }).features).toEqual({ ...on, metrics: false });
    expect(readGatewayConfig({ VERIFICATION_BUDGETS_ENABLED: "false" }).features).toEqual({ ...on, verificationBudgets: false });
    expect(readGatewayConfig({ ACCESS_LOG_ENABLED: "false" }).features).toEqual({ ...on, accessLog: false });
  });

  it("reads OpenTelemetry's sampler settings", () => {
    const config = readGatewayConfig({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.01" });
    expect(config.observability.tracesSampler).toEqual({ name: "parentbased_traceidratio", ratio: 0.01 });
  });

  it("names every bad value", () => {
    let message = "";
    try {
      readGatewayConfig({ RECEIPTS_ENABLED: "no", METRICS_ENABLED: "off", VERIFICATION_BUDGETS_ENABLED: "maybe", OTEL_TRACES_SAMPLER: "sometimes", OTEL_TRACES_SAMPLER_ARG: "2" });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const variable of ["RECEIPTS_ENABLED", "METRICS_ENABLED", "VERIFICATION_BUDGETS_ENABLED", "OTEL_TRACES_SAMPLER must", "OTEL_TRACES_SAMPLER_ARG"]) expect(message).toContain(variable);
  });
});
