/**
 * Prometheus metrics as an operator scrapes them: on METRICS_PORT (loopback),
 * never on the public port; requests by outcome, agency fetches, denials,
 * token failures, rate-limit refusals, audit commits, the process; and the
 * agencies' own.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postGraphQL } from "../support/graphql.ts";
import { grantTestApps, startSystem, type System } from "../support/startSystem.ts";
import { startExtraGateway, startHangingAgency, token } from "../security/support/hostile.ts";
import { DEFAULT_TOKEN_GRANT } from "../support/testGrants.ts";

const LI_WEI = "140105198605150031";
let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "ops-metrics" });
});

afterAll(async () => {
  await system?.stop();
});

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample, e.g. `value(text, 'gateway_requests_total{outcome="ALLOWED"}')`, matching the labels given (others allowed). */
function value(text: string, sample: string): number {
  const [, name, labels = ""] = /^([a-z_]+)(?:\{(.*)\})?$/.exec(sample)!;
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2] ?? "";
    if (labels.split(",").filter(Boolean).every((label) => have.split(",").includes(label))) return Number(match[3]);
  }
  return Number.NaN;
}

describe("the gateway's metrics", () => {
  it("are served on the metrics port on loopback, and not on the public port", async () => {
    expect(new URL(system.gateway.metricsUrl).hostname).toBe("127.0.0.1");
    expect(new URL(system.gateway.metricsUrl).port).not.toBe(new URL(system.gatewayUrl).port);
    expect((await fetch(system.gatewayUrl.replace(/\/graphql$/, "/metrics"))).status).toBe(404);
    for (const subgraph of system.subgraphs.values()) {
      expect((await fetch(subgraph.url.replace(/\/graphql$/, "/metrics"))).status).toBe(404);
    }
  });

  it("count requests by outcome, agency fetches, denials by field and reason, token failures, audit commits and the process", async () => {
    expect((await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`)).status).toBe(200);
    const narrow = await token(system, { scopes: ["civil-affairs:identity"] });
    const partial = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name creditReport { score } } }`, undefined, {
      authorization: `Bearer ${narrow}`,
    });
    expect(partial.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await postGraphQL(system.gatewayUrl, "{ __typename }", undefined, { authorization: "Bearer not.a.token" })).status).toBe(401);

    const text = await scrape(system.gateway.metricsUrl);
    expect(value(text, 'gateway_requests_total{outcome="ALLOWED"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'gateway_requests_total{outcome="PARTIAL"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'gateway_requests_total{outcome="UNAUTHENTICATED"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'gateway_request_duration_seconds_count{outcome="ALLOWED"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'gateway_field_denials_total{field="Citizen.creditReport",reason="SCOPE"}')).toBe(1);
    expect(text).toMatch(/^gateway_token_failures_total\{reason="[^"]+",service="gateway"\} 1$/m);
    expect(value(text, 'gateway_subgraph_fetch_duration_seconds_count{subgraph="housing-fund",result="ok"}')).toBe(1);
    expect(value(text, 'gateway_subgraph_circuit_state{subgraph="credit"}')).toBe(0);
    expect(value(text, "gateway_audit_batch_size_count")).toBeGreaterThanOrEqual(1);
    expect(value(text, 'gateway_audit_commit_duration_seconds_count{result="committed"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, "gateway_audit_queue_depth")).toBe(0);
    expect(value(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(value(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
  });

  it("count rate-limit refusals by app, and timeouts and the open circuit per agency", async () => {
    const hanging = await startHangingAgency();
    // This gateway has its own database: the default token's grant is made there first, through its API,
    // by the same gateway with ordinary limits (its tiny rate limit and deadline are what this test is about).
    const gatewayDir = mkdtempSync(join(tmpdir(), "metrics-gateway-"));
    const granting = await startExtraGateway(system, { auditDatabase: { kind: "pglite", dataDir: gatewayDir } });
    try {
      await grantTestApps({ gatewayUrl: granting.url, issuerKey: system.issuerKey }, [DEFAULT_TOKEN_GRANT]);
    } finally {
      await granting.stop();
    }
    const gateway = await startExtraGateway(system, {
      auditDatabase: { kind: "pglite", dataDir: gatewayDir },
      rateLimit: { perSecond: 1, burst: 2 },
      // Long enough for the healthy agencies on a loaded machine: only the hanging one must time out.
      subgraphTimeoutMs: 1500,
      circuitFailureThreshold: 1,
      subgraphUrls: { tax: hanging.url },
    });
    try {
      // Its own governance database: the test app needs its grant there too.
      await grantTestApps({ gatewayUrl: gateway.url, issuerKey: system.issuerKey }, [DEFAULT_TOKEN_GRANT]);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await postGraphQL(gateway.url, `{ citizen(id: "${LI_WEI}") { incomeRecord(year: 2025) { totalIncome } } }`)).status);
      }
      expect(statuses).toContain(429);
      const text = await scrape(gateway.metricsUrl);
      expect(value(text, 'gateway_rate_limited_total{app="app:integration-tests"}')).toBe(statuses.filter((s) => s === 429).length);
      expect(value(text, 'gateway_subgraph_fetch_errors_total{subgraph="tax",kind="timeout"}')).toBe(1);
      expect(value(text, 'gateway_subgraph_circuit_state{subgraph="tax"}')).toBe(2);
    } finally {
      await gateway.stop();
      await hanging.stop();
    }
  });
});

describe("an agency's metrics", () => {
  it("count its requests and SQL statements, on its own metrics port", async () => {
    await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { incomeRecord(year: 2025) { totalIncome } } }`);
    const tax = system.subgraphs.get("tax")!;
    expect(new URL(tax.metricsUrl).hostname).toBe("127.0.0.1");
    const text = await scrape(tax.metricsUrl);
    expect(value(text, 'subgraph_requests_total{status="200"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, "sql_statements_total")).toBeGreaterThanOrEqual(1);
    expect(value(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});
