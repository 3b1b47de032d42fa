/**
 * The gateway with its switchable per-request features off (RECEIPTS_ENABLED,
 * METRICS_ENABLED and VERIFICATION_BUDGETS_ENABLED false): the data and the
 * audit record are the same as with them on; no receipt is attached and no
 * metrics port is opened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postGraphQL } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "feature-switches", gateway: { features: { receipts: false, metrics: false, verificationBudgets: false, accessLog: false } } });
});

afterAll(async () => {
  await system?.stop();
});

describe("features switched off", () => {
  it("answers with the data and audits the read, without a receipt", async () => {
    const before = system.gateway.audit.writer.stats().records;
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizen.name).toBeTruthy();
    expect(result.body.extensions?.receipt).toBeUndefined();
    expect(system.gateway.audit.writer.stats().records).toBe(before + 1);
  });

  it("opens no metrics port", () => {
    expect(system.gateway.metricsUrl).toBe("");
  });
});
