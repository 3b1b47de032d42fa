/**
 * The per-feature rows of the bench: this gateway runs with every per-request
 * feature on (C), and once more per feature with that one off, so the
 * difference in CPU per request is the feature's cost. "On" is what
 * production runs: receipts, metrics, the shared verification budget, an
 * access log line per request (LOG_LEVEL info) and traces exported over OTLP
 * for a sampled share of requests (OTEL_TRACES_SAMPLER parentbased_traceidratio,
 * 1%), to a sink in the bench process that accepts and drops them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FeatureRow {
  /** The feature switched off, e.g. "receipts". */
  feature: string;
  /** What switching it off means, for the report. */
  description: string;
  /** The environment that switches it off (over the all-on one). */
  off(allOn: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** The entry that starts this gateway for the row, when not gateway/main.ts. */
  entry?: string;
}

/** The share of requests traced with every feature on. */
export const TRACE_SAMPLE_RATIO = 0.01;

export const FEATURE_ROWS: readonly FeatureRow[] = [
  { feature: "receipts", description: "RECEIPTS_ENABLED=false: no signed receipt (Ed25519 + SHA-256 of the canonical data)", off: (env) => ({ ...env, RECEIPTS_ENABLED: "false" }) },
  { feature: "budgets", description: "VERIFICATION_BUDGETS_ENABLED=false: no shared verification budget", off: (env) => ({ ...env, VERIFICATION_BUDGETS_ENABLED: "false" }) },
  { feature: "metrics", description: "METRICS_ENABLED=false: no Prometheus counters", off: (env) => ({ ...env, METRICS_ENABLED: "false" }) },
  {
    feature: "tracing",
    description: `no OTEL_EXPORTER_OTLP_ENDPOINT (on: ${TRACE_SAMPLE_RATIO * 100}% of requests traced and exported)`,
    off: ({ OTEL_EXPORTER_OTLP_ENDPOINT: _endpoint, OTEL_TRACES_SAMPLER: _sampler, OTEL_TRACES_SAMPLER_ARG: _ratio, ...env }) => env,
  },
  {
    feature: "grants",
    description: "requests keep the token's scopes, not intersected with the app's grants (scripts/bench/ungovernedGatewayMain.ts; no setting does this)",
    off: (env) => env,
    entry: "scripts/bench/ungovernedGatewayMain.ts",
  },
  { feature: "access-log", description: "ACCESS_LOG_ENABLED=false: no log line per request", off: (env) => ({ ...env, ACCESS_LOG_ENABLED: "false" }) },
  {
    feature: "lean-executor",
    description: "every plan runs on @apollo/gateway's executor instead of gateway/execution (scripts/bench/apolloExecutorGatewayMain.ts; no setting does this): a negative cost is what the lean executor saves",
    off: (env) => env,
    entry: "scripts/bench/apolloExecutorGatewayMain.ts",
  },
];

export const FEATURE_NAMES = FEATURE_ROWS.map((row) => row.feature);

/** The all-on settings of this gateway, tracing to `otlpEndpoint`. */
export function allFeaturesOn(otlpEndpoint: string): NodeJS.ProcessEnv {
  return {
    LOG_LEVEL: "info",
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: String(TRACE_SAMPLE_RATIO),
  };
}

/** An OTLP/HTTP endpoint on loopback that counts what it is sent and drops it. */
export async function startTraceSink(): Promise<{ url: string; batches(): number; close(): Promise<void> }> {
  let batches = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      batches++;
      response.setHeader("content-type", "application/json");
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches: () => batches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
