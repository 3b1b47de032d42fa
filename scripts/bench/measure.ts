/**
 * Measurements: autocannon drives a gateway over loopback with a workload
 * (a fresh body per request) while /proc tells how much CPU the gateway and
 * the five subgraphs spent and how much memory the gateway held at peak.
 */
import autocannon from "autocannon";
import { cpuMillis, peakRssMb, resetPeakRss } from "./procStats.ts";
import type { Workload } from "./workloads.ts";

/** A gateway under test. */
export interface Target {
  key: "apollo" | "hive" | "this";
  label: string;
  /** This gateway with this feature switched off (a per-feature row). */
  feature?: string;
  pid: number;
  url: string;
  /** Headers every request carries (this gateway: the app token). */
  headers: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** 2xx responses whose body holds GraphQL `errors`. */
  graphqlErrors: number;
  /** The start of the first failed response's body, if any. */
  sampleError?: string;
  /** CPU the load generator (this process) spent per request. */
  loadgenCpuMsPerRequest: number;
  /** The number of the next unused request body. */
  nextRequest: number;
}

export interface Measurement extends LoadResult {
  gatewayCpuMsPerRequest: number;
  subgraphsCpuMsPerRequest: number;
  peakRssMb: number;
}

type Options = autocannon.Options;
type Result = autocannon.Result;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs autocannon; bodies come from `workload.body(firstRequest + k)`; `onEachResponse` sees every response. */
function drive(
  options: { target: Target; workload: Workload; connections: number; durationS?: number; amount?: number; firstRequest: number },
  onEachResponse: (status: number, latencyMs: number) => void = () => {},
): Promise<{ result: Result; graphqlErrors: number; sampleError?: string; nextRequest: number }> {
  const url = new URL(options.target.url);
  let n = options.firstRequest;
  let graphqlErrors = 0;
  let sampleError: string | undefined;
  const settings: Options = {
    url: url.origin,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
    timeout: 30,
    requests: [
      {
        method: "POST",
        path: url.pathname,
        headers: { "content-type": "application/json", accept: "application/json", ...options.target.headers },
        setupRequest: (request) => ({ ...request, body: options.workload.body(n++) }),
        onResponse: (status, body) => {
          const failed = status >= 300 || body.includes('"errors"');
          if (failed && status < 300) graphqlErrors++;
          if (failed && sampleError === undefined) sampleError = `HTTP ${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(settings, (error, result) => (error ? reject(error) : resolve({ result, graphqlErrors, sampleError, nextRequest: n })));
    instance.on("response", (_client, status, _bytes, latencyMs) => onEachResponse(status, latencyMs));
  });
}

/** Runs a fixed amount or duration of load and reports it whole (memory test, profiling). */
export async function runLoad(options: {
  target: Target;
  workload: Workload;
  connections: number;
  durationS?: number;
  amount?: number;
  firstRequest: number;
}): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const { result, graphqlErrors, sampleError, nextRequest } = await drive(options);
  const cpu = process.cpuUsage(cpuBefore);
  const requests = result.requests.total;
  return {
    requests,
    rps: result.duration > 0 ? requests / result.duration : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    sampleError,
    loadgenCpuMsPerRequest: requests > 0 ? (cpu.user + cpu.system) / 1000 / requests : 0,
    nextRequest,
  };
}

/**
 * One measurement in steady state: a single autocannon run of warmupS +
 * durationS; only the last durationS count. CPU is read from /proc at both
 * ends of that window and divided by the responses completed inside it, so
 * the requests in flight at its edges (as many at one end as at the other)
 * do not skew the figures; latency percentiles are of the responses in it.
 */
export async function measure(options: {
  target: Target;
  subgraphPids: readonly number[];
  workload: Workload;
  connections: number;
  durationS: number;
  warmupS: number;
  firstRequest: number;
}): Promise<Measurement> {
  let counting = options.warmupS <= 0;
  const latencies: number[] = [];
  let non2xxInWindow = 0;
  let window: { gateway: number; subgraphs: number[]; loadgen: NodeJS.CpuUsage; at: number } | undefined;
  let end: { gateway: number; subgraphs: number[]; loadgen: NodeJS.CpuUsage; at: number } | undefined;
  const snapshot = () => ({
    gateway: cpuMillis(options.target.pid),
    subgraphs: options.subgraphPids.map(cpuMillis),
    loadgen: process.cpuUsage(),
    at: performance.now(),
  });
  const open = () => {
    resetPeakRss(options.target.pid);
    window = snapshot();
    counting = true;
  };
  if (counting) open();
  const openTimer = counting ? undefined : setTimeout(open, options.warmupS * 1000);
  const closeTimer = setTimeout(() => {
    end = snapshot();
    counting = false;
  }, (options.warmupS + options.durationS) * 1000 - 20);
  const { result, graphqlErrors, sampleError, nextRequest } = await drive(
    { ...options, durationS: options.warmupS + options.durationS },
    (status, latencyMs) => {
      if (!counting) return;
      if (status >= 200 && status < 300) latencies.push(latencyMs);
      else non2xxInWindow++;
    },
  );
  clearTimeout(openTimer);
  clearTimeout(closeTimer);
  if (!window) throw new Error("the measurement window never opened");
  end ??= snapshot();
  const requests = latencies.length + non2xxInWindow;
  const perRequest = (ms: number) => (requests > 0 ? ms / requests : 0);
  const loadgen = (end.loadgen.user + end.loadgen.system - window.loadgen.user - window.loadgen.system) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests,
    rps: requests / ((end.at - window.at) / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    sampleError,
    loadgenCpuMsPerRequest: perRequest(loadgen),
    nextRequest,
    gatewayCpuMsPerRequest: perRequest(end.gateway - window.gateway),
    subgraphsCpuMsPerRequest: perRequest(end.subgraphs.reduce((sum, ms, i) => sum + ms - window!.subgraphs[i]!, 0)),
    peakRssMb: peakRssMb(options.target.pid),
  };
}

/**
 * Waits until the given processes are idle (under 10% of a CPU for 300 ms),
 * so work left over from abandoned in-flight requests does not leak into the
 * next measurement. @returns whether they settled within `maxMs`
 */
export async function settle(pids: readonly number[], maxMs = 20_000): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  let before = pids.reduce((sum, pid) => sum + cpuMillis(pid), 0);
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = pids.reduce((sum, pid) => sum + cpuMillis(pid), 0);
    if (now - before < 30) return true;
    before = now;
  }
  return false;
}
