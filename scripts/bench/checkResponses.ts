/**
 * Before measuring: each gateway answers one request of each workload with
 * data and no errors, and all of them answer the same data, so the bench
 * compares gateways doing the same work.
 */
import type { Target } from "./measure.ts";
import type { Workload } from "./workloads.ts";

/** One POST of `body` to a gateway under test, outside the load generator. */
export async function ask(target: Target, body: string): Promise<{ status: number; json: { data?: unknown; errors?: unknown[] } | null; text: string }> {
  const response = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...target.headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  try {
    return { status: response.status, json: JSON.parse(text), text };
  } catch {
    return { status: response.status, json: null, text };
  }
}

/** @returns problems per gateway key (empty when all is well) and cross-gateway differences */
export async function checkResponses(
  targets: readonly Target[],
  workloads: readonly Workload[],
): Promise<{ failed: Map<string, string>; differences: string[] }> {
  const failed = new Map<string, string>();
  const differences: string[] = [];
  for (const workload of workloads) {
    // A citizen with a spouse, a home and a loan: generated citizen 0 (and every sixth pair).
    const body = workload.body(0);
    const answers = new Map<string, string>();
    for (const target of targets) {
      const { status, json, text } = await ask(target, body);
      if (status !== 200 || !json || json.errors || !json.data) {
        if (!failed.has(target.key)) failed.set(target.key, `${workload.name}: HTTP ${status} ${text.slice(0, 400)}`);
        continue;
      }
      answers.set(target.label, JSON.stringify(json.data));
    }
    const distinct = new Set(answers.values());
    if (distinct.size > 1) {
      differences.push(`${workload.name}: ${[...answers.entries()].map(([label, data]) => `${label}: ${data.slice(0, 200)}`).join(" | ")}`);
    }
  }
  return { failed, differences };
}
