/**
 * What an agency's subgraph counts: requests by HTTP status and their
 * duration, the SQL statements it has sent (the N+1 test and the bench read
 * it), its database pool, and the process. Served on METRICS_PORT only.
 */
import { Counter, Histogram } from "prom-client";
import type { Database, PrismaLike } from "../../platform/database/openDatabase.ts";
import { createMetricsRegistry, registerPoolGauge, type Registry } from "../../platform/observability/createMetricsRegistry.ts";

export interface SubgraphMetrics {
  registry: Registry;
  responded(status: number, seconds: number): void;
}

export function createSubgraphMetrics(service: string, database: Database<PrismaLike>): SubgraphMetrics {
  const registry = createMetricsRegistry(service);
  const registers = [registry];
  const requests = new Counter({ name: "subgraph_requests_total", help: "Requests by HTTP status", labelNames: ["status"], registers });
  const duration = new Histogram({
    name: "subgraph_request_duration_seconds",
    help: "Time to answer a request",
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  new Counter({
    name: "sql_statements_total",
    help: "SQL statements sent to the agency's database since start",
    registers,
    collect() {
      this.reset();
      this.inc(database.statementCount());
    },
  });
  registerPoolGauge(registry, () => database.poolStats());
  return {
    registry,
    responded(status, seconds) {
      requests.inc({ status: String(status) });
      duration.observe(seconds);
    },
  };
}
