/**
 * Whether a gateway's resident memory grows with traffic: N requests in ten
 * equal parts, VmRSS read after each. The first 20% warm it up (JIT, caches,
 * connection pools); it "grows" when the RSS after all N is more than
 * max(16 MiB, 10%) above the RSS after those 20%.
 */
import { runLoad, type Target } from "./measure.ts";
import { rssMb } from "./procStats.ts";
import type { Workload } from "./workloads.ts";

export interface MemoryGrowth {
  workload: string;
  requests: number;
  /** RSS (MiB) at start and after each tenth. */
  samples: { requests: number; rssMb: number }[];
  baselineMb: number;
  finalMb: number;
  grows: boolean;
  errors: number;
}

export async function measureMemoryGrowth(options: {
  target: Target;
  workload: Workload;
  totalRequests: number;
  connections: number;
  firstRequest: number;
  progress(line: string): void;
}): Promise<MemoryGrowth & { nextRequest: number }> {
  const part = Math.max(1, Math.round(options.totalRequests / 10));
  const samples = [{ requests: 0, rssMb: rssMb(options.target.pid) }];
  let next = options.firstRequest;
  let done = 0;
  let errors = 0;
  const started = performance.now();
  for (let i = 1; i <= 10; i++) {
    // autocannon needs at least one request per connection.
    const load = await runLoad({ ...options, connections: Math.min(options.connections, part), amount: part, firstRequest: next });
    next = load.nextRequest;
    done += load.requests;
    errors += load.errors + load.non2xx + load.graphqlErrors;
    samples.push({ requests: done, rssMb: rssMb(options.target.pid) });
    const left = ((performance.now() - started) / i) * (10 - i);
    options.progress(`memory: ${done} requests, RSS ${samples.at(-1)!.rssMb.toFixed(1)} MiB${i < 10 ? `, about ${Math.ceil(left / 1000)} s left` : ""}`);
  }
  const baselineMb = samples[2]!.rssMb;
  const finalMb = samples.at(-1)!.rssMb;
  return {
    workload: options.workload.name,
    requests: done,
    samples,
    baselineMb,
    finalMb,
    grows: finalMb - baselineMb > Math.max(16, baselineMb * 0.1),
    errors,
    nextRequest: next,
  };
}
