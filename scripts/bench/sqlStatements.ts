/**
 * SQL statements one request costs each agency: the difference of each
 * subgraph's `sql_statements_total` (its metrics URL) around a single request
 * sent while nothing else runs.
 */
import { ask } from "./checkResponses.ts";
import type { Target } from "./measure.ts";

async function statementsTotal(metricsUrl: string): Promise<number> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
  const match = /^sql_statements_total(?:\{[^}]*\})? (\d+)/m.exec(await response.text());
  if (!match) throw new Error(`no sql_statements_total at ${metricsUrl}`);
  return Number(match[1]);
}

/** Sends `body` once to `target` and returns the statements each subgraph ran, by name. */
export async function sqlStatementsOfOneRequest(
  target: Target,
  subgraphs: readonly { name: string; metricsUrl: string }[],
  body: string,
): Promise<{ statements: Record<string, number>; errors: boolean }> {
  const before = await Promise.all(subgraphs.map((s) => statementsTotal(s.metricsUrl)));
  const response = await ask(target, body);
  const after = await Promise.all(subgraphs.map((s) => statementsTotal(s.metricsUrl)));
  const statements: Record<string, number> = {};
  subgraphs.forEach((s, i) => (statements[s.name] = after[i]! - before[i]!));
  return { statements, errors: response.status !== 200 || response.text.includes('"errors"') };
}
