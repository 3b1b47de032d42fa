/**
 * What the gateway counts, in Prometheus terms: requests by outcome and their
 * duration; per agency the fetch latency, errors, timeouts and circuit
 * state; denials by field and reason; token failures by reason; rate-limit
 * refusals; audit commit latency, batch size and queue depth; the audit
 * database's pool; and the process (prom-client's defaults).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { createMetricsRegistry, registerPoolGauge } from "../../platform/observability/createMetricsRegistry.ts";
import type { AuditEntry } from "../audit/AuditEntry.ts";

/** How one agency fetch ended. */
export type FetchResult = "ok" | "refused" | "error" | "timeout" | "circuit-open";

export interface GatewayMetrics {
  registry: Registry;
  recorded(entry: AuditEntry, committed: boolean): void;
  fetched(subgraph: string, seconds: number, result: FetchResult): void;
  denied(field: string, reason: string): void;
  tokenRefused(reason: string): void;
  rateLimited(app: string): void;
  auditCommitted(records: number, seconds: number, failed: boolean): void;
}

const CIRCUIT_VALUE = { closed: 0, "half-open": 1, open: 2 } as const;

export function createGatewayMetrics(options: {
  service: string;
  circuits(): Array<{ subgraph: string; state: keyof typeof CIRCUIT_VALUE }>;
  auditQueued(): number;
  poolStats(): { total: number; idle: number; waiting: number } | null;
}): GatewayMetrics {
  const registry = createMetricsRegistry(options.service);
  const registers = [registry];
  const requests = new Counter({
    name: "gateway_requests_total",
    help: "Requests by outcome (the audit record's; AUDIT_FAILED when it could not be committed)",
    labelNames: ["outcome"],
    registers,
  });
  const duration = new Histogram({
    name: "gateway_request_duration_seconds",
    help: "Time from the request's arrival to its audit record, by outcome",
    labelNames: ["outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const fetches = new Histogram({
    name: "gateway_subgraph_fetch_duration_seconds",
    help: "Agency fetch latency by subgraph and result (ok, refused, error, timeout, circuit-open)",
    labelNames: ["subgraph", "result"],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const fetchErrors = new Counter({
    name: "gateway_subgraph_fetch_errors_total",
    help: "Agency fetches that failed, by subgraph and kind (error, timeout, circuit-open)",
    labelNames: ["subgraph", "kind"],
    registers,
  });
  new Gauge({
    name: "gateway_subgraph_circuit_state",
    help: "Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open",
    labelNames: ["subgraph"],
    registers,
    collect() {
      for (const { subgraph, state } of options.circuits()) this.set({ subgraph }, CIRCUIT_VALUE[state]);
    },
  });
  const denials = new Counter({
    name: "gateway_field_denials_total",
    help: "Fields removed from operations, by schema coordinate and reason",
    labelNames: ["field", "reason"],
    registers,
  });
  const tokenFailures = new Counter({
    name: "gateway_token_failures_total",
    help: "Bearer tokens refused, by reason",
    labelNames: ["reason"],
    registers,
  });
  const rateLimited = new Counter({
    name: "gateway_rate_limited_total",
    help: "Requests refused by the app's rate limit, by app",
    labelNames: ["app"],
    registers,
  });
  const commitDuration = new Histogram({
    name: "gateway_audit_commit_duration_seconds",
    help: "Audit group-commit latency, by result",
    labelNames: ["result"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const batchSize = new Histogram({
    name: "gateway_audit_batch_size",
    help: "Records per audit group commit",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers,
  });
  new Gauge({
    name: "gateway_audit_queue_depth",
    help: "Audit records waiting for the next group commit",
    registers,
    collect() {
      this.set(options.auditQueued());
    },
  });
  registerPoolGauge(registry, options.poolStats);

  return {
    registry,
    recorded(entry, committed) {
      const outcome = committed ? entry.outcome : "AUDIT_FAILED";
      requests.inc({ outcome });
      duration.observe({ outcome }, entry.latencyMs / 1000);
    },
    fetched(subgraph, seconds, result) {
      fetches.observe({ subgraph, result }, seconds);
      if (result === "error" || result === "timeout" || result === "circuit-open") fetchErrors.inc({ subgraph, kind: result });
    },
    denied: (field, reason) => denials.inc({ field, reason }),
    tokenRefused: (reason) => tokenFailures.inc({ reason }),
    rateLimited: (app) => rateLimited.inc({ app }),
    auditCommitted(records, seconds, failed) {
      commitDuration.observe({ result: failed ? "failed" : "committed" }, seconds);
      if (!failed) batchSize.observe(records);
    },
  };
}

/** METRICS_ENABLED=false: nothing is counted; the registry stays empty and no metrics port is opened. */
export function disabledGatewayMetrics(): GatewayMetrics {
  const nothing = () => {};
  return {
    registry: new Registry(),
    recorded: nothing,
    fetched: nothing,
    denied: nothing,
    tokenRefused: nothing,
    rateLimited: nothing,
    auditCommitted: nothing,
  };
}
