/**
 * The gateway's own subgraphs (governance, audit: served by the gateway
 * process from its database) have their own fetch deadline,
 * OWN_SUBGRAPH_TIMEOUT_MS, apart from the agencies' SUBGRAPH_TIMEOUT_MS.
 * Both links here are slowed by the same 400 ms; each deadline decides.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGatewayConfig } from "../../gateway/config.ts";
import type { RunningGateway } from "../../gateway/createGateway.ts";
import { GOVERNANCE_SUBGRAPH_PATH } from "../../gateway/governance/subgraph/createGovernanceSubgraph.ts";
import { startExtraGateway } from "../security/support/hostile.ts";
import { postGraphQL } from "../support/graphql.ts";
import { startDelayingProxy, type DelayingProxy } from "../support/startDelayingProxy.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const SLOW_MS = 400;
let system: System;
let slowGovernance: DelayingProxy;
let slowTax: DelayingProxy;
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  system = await startSystem({ suite: "ops-own-deadline" });
  // The system's gateway serves the governance subgraph; the gateways below reach it through a slow link.
  slowGovernance = await startDelayingProxy(new URL(GOVERNANCE_SUBGRAPH_PATH, system.gatewayUrl).toString(), SLOW_MS);
  slowTax = await startDelayingProxy(system.subgraphs.get("tax")!.url, SLOW_MS);
});

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop().catch(() => {})));
  await slowGovernance?.stop();
  await slowTax?.stop();
  await system?.stop();
});

async function gatewayWith(subgraphTimeoutMs: number, ownSubgraphTimeoutMs: number): Promise<RunningGateway> {
  const gateway = await startExtraGateway(system, { subgraphUrls: { governance: slowGovernance.url, tax: slowTax.url }, subgraphTimeoutMs, ownSubgraphTimeoutMs });
  gateways.push(gateway);
  return gateway;
}

describe("the gateway's own subgraphs' deadline", () => {
  it("is read once with the rest of the configuration, longer than an agency's by default", () => {
    expect(readGatewayConfig({}).ownSubgraphTimeoutMs).toBe(30_000);
    expect(readGatewayConfig({}).ownSubgraphTimeoutMs).toBeGreaterThan(readGatewayConfig({}).subgraphTimeoutMs);
    expect(readGatewayConfig({ OWN_SUBGRAPH_TIMEOUT_MS: "60000" }).ownSubgraphTimeoutMs).toBe(60_000);
    expect(() => readGatewayConfig({ OWN_SUBGRAPH_TIMEOUT_MS: "soon" })).toThrow(/OWN_SUBGRAPH_TIMEOUT_MS/);
  });

  it("a governance query outlasts the agencies' short deadline", async () => {
    const gateway = await gatewayWith(100, 10_000);
    const result = await postGraphQL(gateway.url, "{ catalogScopes { scope } }");
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.catalogScopes.length).toBeGreaterThan(0);
    expect(slowGovernance.received()).toBeGreaterThan(0);
  });

  it("and is cut off at its own deadline when that is the shorter one", async () => {
    const gateway = await gatewayWith(10_000, 100);
    const result = await postGraphQL(gateway.url, "{ catalogScopes { scope } }");
    expect(result.body.errors?.[0]?.extensions?.code).toBe("SUBGRAPH_UNAVAILABLE");
  });
});
