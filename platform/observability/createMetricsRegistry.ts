/**
 * A service's Prometheus registry (prom-client): the process's CPU, memory,
 * event-loop lag and GC from prom-client's defaults, and whatever the service
 * adds. One registry per service instance, so several services in one
 * process (tests, the embedded default) keep their numbers apart.
 */
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

export type { Registry };

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** `db_pool_connections{state}` for a database's pool (absent on PGlite). */
export function registerPoolGauge(registry: Registry, poolStats: () => { total: number; idle: number; waiting: number } | null): void {
  new Gauge({
    name: "db_pool_connections",
    help: "Connections of the database pool by state (total, idle, waiting clients); absent on PGlite",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const stats = poolStats();
      if (!stats) return;
      this.set({ state: "total" }, stats.total);
      this.set({ state: "idle" }, stats.idle);
      this.set({ state: "waiting" }, stats.waiting);
    },
  });
}
