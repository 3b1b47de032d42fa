/**
 * Where a profiled process spent its CPU: self time per function and per
 * package from a V8 `.cpuprofile` (what `node --cpu-prof` writes).
 */
import { readFileSync } from "node:fs";
import { REPO_ROOT } from "../childProcesses.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time, idle excluded, in ms. */
  busyMs: number;
  idleMs: number;
  topFunctions: { name: string; where: string; selfMs: number; percent: number }[];
  byPackage: { name: string; selfMs: number; percent: number }[];
  /** Time with a package or project folder anywhere on the stack (what it costs including what it calls). */
  inclusiveByPackage: { name: string; totalMs: number; percent: number }[];
}

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; a project file → its folder; internals → `node:internal`. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith("wasm://")) return "wasm";
  if (url.includes("deps/undici")) return "node:undici (fetch)";
  if (url.startsWith("node:")) return `node:${url.replace(/^node:(internal\/)?/, "").split("/")[0]}`;
  const path = url.replace(/^file:\/\//, "");
  if (path.startsWith(REPO_ROOT)) return path.slice(REPO_ROOT.length).split("/").slice(0, 2).join("/");
  return path;
}

function shortWhere(url: string, line: number): string {
  if (!url) return "";
  const path = url.replace(/^file:\/\//, "").replace(REPO_ROOT, "");
  return `${path.replace(/^.*node_modules\//, "")}:${line + 1}`;
}

/**
 * @param window only samples this many ms after the profile's start (e.g. the
 *   load after warm-up, leaving out start-up and module loading)
 */
export function summarizeCpuProfile(file: string, top = 20, window?: { fromMs: number; toMs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the time after it (timeDeltas[i+1]) is what sample i stands for.
  let atUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    atUs += profile.timeDeltas[i] ?? 0;
    if (window && (atUs < window.fromMs * 1000 || atUs > window.toMs * 1000)) continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + us);
  }
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const packages = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = functionName || "(anonymous)";
    const where = shortWhere(url, lineNumber);
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const pkg = packageOf(url, name);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const percent = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  // Inclusive: each sample's time once for every library or project folder on its stack.
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === "(idle)") continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const { url, functionName } = byId.get(at)!.callFrame;
      if (!url || url.startsWith("node:") || url.startsWith("wasm://")) continue;
      seen.add(packageOf(url, functionName));
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
  return {
    file,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    topFunctions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, percent: percent(f.us) })),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, percent: percent(us) })),
    inclusiveByPackage: [...inclusive.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, totalMs: us / 1000, percent: percent(us) })),
  };
}
