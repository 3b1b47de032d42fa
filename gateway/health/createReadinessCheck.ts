/**
 * What `/ready` answers: ready (200) only when the supergraph is loaded, the
 * keys are loaded and the audit database accepts writes; with each agency's
 * state (`up`, `down`, `circuit-open`) and the latency of its `/health`. An
 * agency that is down makes the gateway degraded, not unready: its fields
 * are already answered with errors, and taking the gateway out of the load
 * balancer would not bring the agency back.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export type AgencyState = "up" | "down" | "circuit-open";

export interface ReadinessReport {
  status: "ready" | "degraded" | "not-ready";
  checks: { supergraph: boolean; keys: boolean; auditWritable: boolean };
  agencies: Record<string, { state: AgencyState; latencyMs: number | null }>;
}

export interface ReadinessCheckOptions {
  /** The agencies' GraphQL URLs (their `/health` is beside), and whether each one's circuit is open. */
  agencies(): Array<{ name: string; url: string; circuitOpen: boolean }>;
  supergraphLoaded(): boolean;
  keysLoaded(): Promise<boolean>;
  auditWritable(): Promise<boolean>;
  /** The longest an agency's /health may take to count as up. @default 1000 */
  probeTimeoutMs?: number;
  /** Reports younger than this are reused, so a load balancer's probes cost no fan-out each. @default 1000 */
  cacheMs?: number;
}

export function createReadinessCheck(options: ReadinessCheckOptions): () => Promise<ReadinessReport> {
  const probeTimeoutMs = options.probeTimeoutMs ?? 1000;
  const cacheMs = options.cacheMs ?? 1000;
  let last: { at: number; report: Promise<ReadinessReport> } | null = null;

  async function check(): Promise<ReadinessReport> {
    const [keys, auditWritable, agencyStates] = await Promise.all([
      options.keysLoaded().catch(() => false),
      options.auditWritable().catch(() => false),
      Promise.all(
        options.agencies().map(async (agency) => {
          if (agency.circuitOpen) return [agency.name, { state: "circuit-open" as const, latencyMs: null }] as const;
          const latencyMs = await probe(new URL("/health", agency.url), probeTimeoutMs);
          return [agency.name, { state: latencyMs === null ? ("down" as const) : ("up" as const), latencyMs }] as const;
        }),
      ),
    ]);
    const checks = { supergraph: options.supergraphLoaded(), keys, auditWritable };
    const agencies: ReadinessReport["agencies"] = Object.fromEntries(agencyStates);
    const ready = checks.supergraph && checks.keys && checks.auditWritable;
    const degraded = Object.values(agencies).some((agency) => agency.state !== "up");
    return { status: !ready ? "not-ready" : degraded ? "degraded" : "ready", checks, agencies };
  }

  return () => {
    const now = Date.now();
    if (!last || now - last.at >= cacheMs) last = { at: now, report: check() };
    return last.report;
  };
}

/** Milliseconds until `url` answered 2xx, or null. */
function probe(url: URL, timeoutMs: number): Promise<number | null> {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, { method: "GET", agent: false }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode && response.statusCode < 300 ? Math.round(performance.now() - started) : null));
      response.once("error", () => resolve(null));
    });
    request.setTimeout(timeoutMs, () => request.destroy());
    request.once("error", () => resolve(null));
    request.end();
  });
}
