/**
 * The bench's report: medians across rounds, the ratios of this gateway to
 * the others, the printed table, the one-line JSON and the saved markdown.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../childProcesses.ts";
import type { MachineDescription } from "./machine.ts";
import type { Measurement } from "./measure.ts";
import type { MemoryGrowth } from "./memoryGrowth.ts";
import type { GatewayKey } from "./options.ts";
import type { ProfileSummary } from "./cpuProfile.ts";

export const RESULTS_DIR = join(REPO_ROOT, "scripts/bench/results");

export const GATEWAY_LABELS: Record<GatewayKey, string> = {
  apollo: "A plain @apollo/gateway",
  hive: "B Hive Gateway",
  this: "C this gateway",
};

export interface GatewayResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  gatewayCpuMsPerRequest: number;
  subgraphsCpuMsPerRequest: number;
  peakRssMb: number;
  /** Summed over rounds. */
  requests: number;
  errors: number;
  non2xx: number;
  graphqlErrors: number;
  loadgenCpuMsPerRequest: number;
  /** The start of the first failed response's body, if any. */
  sampleError?: string;
  /** Each round's requests/s and p99, in order. */
  rounds: { rps: number; p99Ms: number }[];
}

export interface WorkloadReport {
  name: string;
  description: string;
  results: Partial<Record<GatewayKey, GatewayResult>>;
  ratios: { vsApollo: number | null; vsHive: number | null; p99VsApollo: number | null; cpuVsApollo: number | null; cpuVsHive: number | null };
}

/** This gateway on one workload with every feature on, and with each feature off in turn. */
export interface FeatureReport {
  workload: string;
  allOn: GatewayResult | undefined;
  /** By feature. */
  off: Record<string, GatewayResult>;
  /** What switching each off means. */
  descriptions: Record<string, string>;
}

export interface ScaleReport {
  ids: number;
  /** SQL statements of one request, by subgraph. */
  statements: Record<string, number>;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  gatewayCpuMsPerRequest: number;
  errors: number;
}

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: MachineDescription;
  database: string;
  versions: Record<string, string>;
  settings: { citizens: number; connections: number; durationS: number; warmupS: number; rounds: number };
  unavailable: { gateway: GatewayKey; reason: string }[];
  workloads: WorkloadReport[];
  /** Per-feature rows (empty without --features). */
  features: FeatureReport[];
  scale: ScaleReport[];
  /** Whether each subgraph's statements per request are the same for every batch size. */
  statementsIndependentOfIds: boolean | null;
  memory: MemoryGrowth | null;
  profile: ProfileSummary | null;
  notes: string[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Medians of each figure across rounds; counts summed. */
export function combineRounds(rounds: Measurement[]): GatewayResult {
  const m = (pick: (r: Measurement) => number) => median(rounds.map(pick));
  const sum = (pick: (r: Measurement) => number) => rounds.reduce((total, r) => total + pick(r), 0);
  return {
    rps: m((r) => r.rps),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    gatewayCpuMsPerRequest: m((r) => r.gatewayCpuMsPerRequest),
    subgraphsCpuMsPerRequest: m((r) => r.subgraphsCpuMsPerRequest),
    peakRssMb: Math.max(...rounds.map((r) => r.peakRssMb)),
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    graphqlErrors: sum((r) => r.graphqlErrors),
    loadgenCpuMsPerRequest: m((r) => r.loadgenCpuMsPerRequest),
    ...(rounds.find((r) => r.sampleError) ? { sampleError: rounds.find((r) => r.sampleError)!.sampleError } : {}),
    rounds: rounds.map((r) => ({ rps: r.rps, p99Ms: r.p99Ms })),
  };
}

export function ratiosOf(results: WorkloadReport["results"]): WorkloadReport["ratios"] {
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : null);
  return {
    vsApollo: ratio(results.this?.rps, results.apollo?.rps),
    vsHive: ratio(results.this?.rps, results.hive?.rps),
    p99VsApollo: ratio(results.this?.p99Ms, results.apollo?.p99Ms),
    cpuVsApollo: ratio(results.this?.gatewayCpuMsPerRequest, results.apollo?.gatewayCpuMsPerRequest),
    cpuVsHive: ratio(results.this?.gatewayCpuMsPerRequest, results.hive?.gatewayCpuMsPerRequest),
  };
}

const fixed = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? "-" : value.toFixed(digits));

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd();
}

/** The human-readable tables. */
export function renderTables(report: BenchReport): string {
  const lines: string[] = [];
  const widths = [9, 24, 8, 7, 7, 10, 11, 8, 7];
  lines.push(row(["workload", "gateway", "req/s", "p50 ms", "p99 ms", "gw CPU ms", "subgr CPU ms", "peak MB", "errors"], widths));
  lines.push(row(["", "", "", "", "", "per req", "per req", "RSS", ""], widths));
  for (const workload of report.workloads) {
    let first = true;
    for (const key of ["apollo", "hive", "this"] as GatewayKey[]) {
      const r = workload.results[key];
      if (!r) continue;
      const errors = r.errors + r.non2xx + r.graphqlErrors;
      lines.push(
        row(
          [first ? workload.name : "", GATEWAY_LABELS[key], fixed(r.rps, 0), fixed(r.p50Ms), fixed(r.p99Ms), fixed(r.gatewayCpuMsPerRequest, 2), fixed(r.subgraphsCpuMsPerRequest, 2), fixed(r.peakRssMb, 0), String(errors)],
          widths,
        ),
      );
      first = false;
    }
    const { vsApollo, vsHive, p99VsApollo, cpuVsApollo, cpuVsHive } = workload.ratios;
    lines.push(`${"".padEnd(widths[0]!)}  C/A throughput ${fixed(vsApollo, 2)}×   C/B throughput ${fixed(vsHive, 2)}×   C/A p99 ${fixed(p99VsApollo, 2)}×`);
    lines.push(`${"".padEnd(widths[0]!)}  C/A gw CPU per request ${fixed(cpuVsApollo, 2)}×   C/B gw CPU per request ${fixed(cpuVsHive, 2)}×`);
  }
  if (report.features.length > 0) {
    lines.push("", "Per-feature cost (this gateway, every feature on, then one off at a time, in the same rounds): cost = gw CPU all on − gw CPU with it off");
    const featureWidths = [9, 24, 8, 7, 10, 9, 6];
    lines.push(row(["workload", "feature off", "req/s", "p99 ms", "gw CPU ms", "cost ms", "errors"], featureWidths));
    for (const f of report.features) {
      const allOn = f.allOn;
      if (allOn) lines.push(row([f.workload, "(none: all on)", fixed(allOn.rps, 0), fixed(allOn.p99Ms), fixed(allOn.gatewayCpuMsPerRequest, 2), "", String(allOn.errors + allOn.non2xx + allOn.graphqlErrors)], featureWidths));
      for (const [feature, r] of Object.entries(f.off)) {
        const cost = allOn ? allOn.gatewayCpuMsPerRequest - r.gatewayCpuMsPerRequest : undefined;
        lines.push(row(["", feature, fixed(r.rps, 0), fixed(r.p99Ms), fixed(r.gatewayCpuMsPerRequest, 2), fixed(cost, 2), String(r.errors + r.non2xx + r.graphqlErrors)], featureWidths));
      }
    }
    const descriptions = Object.assign({}, ...report.features.map((f) => f.descriptions)) as Record<string, string>;
    for (const [feature, description] of Object.entries(descriptions)) lines.push(`  ${feature}: ${description}`);
  }
  if (report.scale.length > 0) {
    lines.push("", "Scale (this gateway, citizens(ids:) with the batch fields): SQL statements of one request per subgraph, and throughput");
    const names = Object.keys(report.scale[0]!.statements);
    const scaleWidths = [4, ...names.map((n) => Math.max(n.length, 4)), 8, 7, 7, 10, 6];
    const right = (cells: string[]) => cells.map((cell, i) => cell.padStart(scaleWidths[i]!)).join("  ");
    lines.push(right(["ids", ...names, "req/s", "p50 ms", "p99 ms", "gw CPU ms", "errors"]));
    for (const s of report.scale) {
      lines.push(right([String(s.ids), ...names.map((n) => String(s.statements[n])), fixed(s.rps, 0), fixed(s.p50Ms), fixed(s.p99Ms), fixed(s.gatewayCpuMsPerRequest, 2), String(s.errors)]));
    }
    lines.push(`statements per subgraph independent of the number of ids: ${report.statementsIndependentOfIds ? "yes" : "NO"}`);
  }
  if (report.memory) {
    const m = report.memory;
    lines.push(
      "",
      `Memory (this gateway, ${m.workload}, ${m.requests} requests): RSS MiB ${m.samples.map((s) => s.rssMb.toFixed(0)).join(" → ")}`,
      `after 20%: ${m.baselineMb.toFixed(1)} MiB, at the end: ${m.finalMb.toFixed(1)} MiB — ${m.grows ? "GROWS" : "does not grow"} (errors: ${m.errors})`,
    );
  }
  if (report.profile) {
    const p = report.profile;
    lines.push("", `CPU profile of this gateway under one-stop, measured load only (${p.busyMs.toFixed(0)} ms busy, ${p.idleMs.toFixed(0)} ms idle), share of busy time`);
    lines.push("  self time by package:");
    for (const pkg of p.byPackage.slice(0, 12)) lines.push(`    ${pkg.percent.toFixed(1).padStart(5)}%  ${pkg.name}`);
    lines.push("  inclusive time (on the stack) by package or project folder:");
    for (const pkg of p.inclusiveByPackage.slice(0, 15)) lines.push(`    ${pkg.percent.toFixed(1).padStart(5)}%  ${pkg.name}`);
    lines.push("  top functions by self time:");
    for (const f of p.topFunctions) lines.push(`    ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
  for (const u of report.unavailable) lines.push("", `${GATEWAY_LABELS[u.gateway]} was not measured: ${u.reason}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join("\n");
}

/** The one JSON line (`--json`). */
export function jsonLine(report: BenchReport): string {
  return JSON.stringify({
    workloads: report.workloads.map((w) => ({ name: w.name, results: w.results, ratios: w.ratios })),
    features: report.features.map((f) => ({
      workload: f.workload,
      allOnCpuMs: f.allOn?.gatewayCpuMsPerRequest ?? null,
      offCpuMs: Object.fromEntries(Object.entries(f.off).map(([feature, r]) => [feature, r.gatewayCpuMsPerRequest])),
    })),
    scale: report.scale,
    statementsIndependentOfIds: report.statementsIndependentOfIds,
    memory: report.memory,
    machine: report.machine,
    database: report.database,
  });
}

/** The versions of the compared packages, as installed. */
export function installedVersions(names: readonly string[]): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  for (const name of names) {
    try {
      versions[name] = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      versions[name] = "not installed";
    }
  }
  return versions;
}

/** Saves the run as `<ISO timestamp>.md` and `.json` under the results folder. @returns the markdown path */
export function saveReport(report: BenchReport): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const m = report.machine;
  const markdown = [
    `# Bench run ${report.startedAt}`,
    "",
    `\`${report.command}\``,
    "",
    `- machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory, Linux ${m.kernel}, load average ${m.loadAverageAtStart} at start`,
    `- node ${m.node}; ${Object.entries(report.versions).filter(([k]) => k !== "node").map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `- database: ${report.database}; ${report.settings.citizens} generated citizens`,
    `- load: autocannon over loopback, ${report.settings.connections} connections, ${report.settings.warmupS} s warm-up + ${report.settings.durationS} s per measurement, ${report.settings.rounds} round(s) interleaved A B C, medians`,
    "",
    "```",
    renderTables(report),
    "```",
    "",
    "How to read it: each figure is the median over rounds of a steady-state window (the last `duration` seconds of one autocannon run, after `warm-up`).",
    "CPU ms per request is the utime + stime growth (/proc/<pid>/stat) of the gateway process, and of the five subgraph processes together, over that window divided by the responses completed in it.",
    "Every process shares the machine's CPUs, so under saturation throughput is about CPUs ÷ (gateway + subgraphs + load generator CPU per request): the gateway's own CPU per request is the most direct comparison.",
    "Peak RSS is VmHWM, reset at the start of each window. Errors are connection errors and timeouts, non-2xx responses and 2xx responses carrying GraphQL `errors`.",
    "",
    "JSON:",
    "",
    "```json",
    jsonLine(report),
    "```",
    "",
  ].join("\n");
  const path = join(RESULTS_DIR, `${stamp}.md`);
  writeFileSync(path, markdown);
  writeFileSync(join(RESULTS_DIR, `${stamp}.json`), JSON.stringify(report, null, 2) + "\n");
  return path;
}
