// Measures the embedded default as a new developer meets it: on a fresh clone of this checkout (node_modules hard-linked,
// the same files `npm install` gives), the time from `npm start` to the first answer cold (no generated files, no data,
// an empty tsx cache) and warm (the second start), and the total RSS of every process of `npm start` at rest and after
// N one-stop requests. npm run bench:start -- [--requests 10000] [--modes dev,prod] [--repo DIR] [--keep]
// --modes prod also measures `npm run start:prod` (after `npm run build` in the clone). Saves scripts/bench/results/start-<time>.{json,md}.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad } from "./bench/measure.ts";
import { oneStopWorkload } from "./bench/workloads.ts";
import { describeMachine } from "./bench/machine.ts";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const DEMO_CITIZENS = ["140105198605150031", "140105198803120028", "330106197501050017", "14010519650909005X"];
/** The issue's goals (issue 11, "fast start, small footprint"). */
const GOALS = { warmS: 8, coldS: 25, rssMb: 1.2 * 1024 };

interface ProcessRss {
  pid: number;
  what: string;
  rssMb: number;
}

interface Run {
  mode: "dev" | "prod";
  start: "cold" | "warm";
  firstAnswerS: number;
  /**
   * CPU seconds (user + system) every process of the start had used by the first answer, those that ended
   * (prepare's children, initdb) included: the work itself, which a busy machine stretches in time but not in amount.
   */
  cpuS: number;
  /** Seconds from the start to each milestone npm start printed. */
  timeline: Record<string, number>;
  /** The start script's own line: when each service was ready, counted from when the script began. */
  startScriptSaid?: string;
  restRssMb: number;
  rest: ProcessRss[];
  afterLoadRssMb?: number;
  afterLoad?: ProcessRss[];
  load?: { requests: number; rps: number; p50Ms: number; p99Ms: number; failed: number };
  loadAverage: number;
}

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}

/** The process and all its descendants, from /proc. */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds of the tree: each process's own and that of its children it has waited for (those that ended). */
function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime, stime, cutime, cstime (fields 14-17 of proc(5), counted from the state field here).
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / USER_HZ;
}

/** RSS of every process of the tree, named by its command line. */
function treeRss(root: number): { totalMb: number; processes: ProcessRss[] } {
  const processes: ProcessRss[] = [];
  for (const pid of processTree(root)) {
    try {
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const script = argv.find((arg) => /\.(ts|m?js)$/.test(arg) && !arg.includes("node_modules/.bin"));
      // A bundle of scripts/run-bundled.mjs is named after its entry: .../run-bundles/<set>/gateway__main.mjs is gateway/main.ts.
      const bundled = script && /run-bundles\/[^/]+\/(.+)\.mjs$/.exec(script)?.[1];
      const what = bundled ? `${bundled.replace(/__/g, "/")}.ts (bundled)` : script ?? argv.slice(0, 3).join(" ");
      processes.push({ pid, what: what.replace(/^.*?\/(dist\/)?(?=(scripts|gateway|subgraphs|apps)\/)/, ""), rssMb: kb / 1024 });
    } catch {
      // gone meanwhile
    }
  }
  return { totalMb: processes.reduce((sum, p) => sum + p.rssMb, 0), processes };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A fresh clone of this checkout: its tracked and untracked (not ignored) files, node_modules hard-linked. */
function freshClone(from: string): string {
  const root = mkdtempSync(join(tmpdir(), "bench-start-clone-"));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: from, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(from, file))) continue;
    mkdirSync(dirname(join(root, file)), { recursive: true });
    cpSync(join(from, file), join(root, file));
  }
  execFileSync("cp", ["-al", join(from, "node_modules"), join(root, "node_modules")]);
  // What tools cached there (the empty PGlite cluster among them) is not part of an install.
  rmSync(join(root, "node_modules/.cache"), { recursive: true, force: true });
  return root;
}

/** Starts `npm start` (or start:prod) in `repo` and waits for a correct answer through the gateway it printed. */
async function startAndTime(mode: "dev" | "prod", repo: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; seconds: number; cpuS: number; token: string; url: string; timeline: Record<string, number>; said?: string }> {
  const started = performance.now();
  const child = spawn("npm", ["run", mode === "prod" ? "start:prod" : "start"], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const timeline: Record<string, number> = {};
  const milestones: Array<[string, RegExp]> = [
    ["agencies and gateway ready", /^gateway\s+http/m],
    ["withdrawal app ready", /^hpf-withdrawal\s+http/m],
    ["token printed", /export TOKEN=/],
  ];
  const seen = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-40_000);
    for (const [name, pattern] of milestones) if (timeline[name] === undefined && pattern.test(output)) timeline[name] = (performance.now() - started) / 1000;
  };
  child.stdout!.on("data", seen);
  child.stderr!.on("data", seen);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${mode} start exited:\n${output}`);
    const token = /export TOKEN=(\S+)/.exec(output)?.[1];
    const url = /^gateway\s+(http\S+)/m.exec(output)?.[1];
    if (token && url) {
      const answer = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ citizen(id: "${DEMO_CITIZENS[0]}") { name } }` }),
      }).catch(() => null);
      if (answer?.ok && ((await answer.json()) as { data?: { citizen?: { name?: string } } }).data?.citizen?.name) {
        const seconds = (performance.now() - started) / 1000;
        const cpuS = treeCpuSeconds(child.pid!);
        timeline["first answer"] = seconds;
        const said = /started in [^\n]*/.exec(output)?.[0];
        if (said) process.stderr.write(`[bench:start]   npm start said: ${said}\n`);
        return { child, seconds, cpuS, token, url, timeline, said };
      }
    }
    if (performance.now() - started > 600_000) throw new Error(`${mode} start: no answer within 600 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops the whole process group (npm, its shell and every service) and waits until none is left. */
async function stop(child: ChildProcess): Promise<void> {
  const group = -child.pid!;
  const alive = () => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(group, "SIGINT");
  for (let waited = 0; alive() && waited < 30_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) process.kill(group, "SIGKILL");
}

const mb = (value: number) => value.toFixed(0);
const verdict = (value: number, goal: number) => (value < goal ? "met" : "NOT met");

function report(runs: Run[], requests: number, machine: ReturnType<typeof describeMachine>, commit: string): string {
  const lines = [
    `# Start time and footprint of the embedded default ${new Date().toISOString()}`,
    "",
    `\`npm run bench:start -- --requests ${requests}\` on commit ${commit}: a fresh clone (node_modules hard-linked), cold = first \`npm start\` (no generated files, no data, empty tsx cache), warm = the second. node ${machine.node}, ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB; load average is the 1-minute figure when each start began (above 4 the machine is shared and the times noisy; the CPU seconds, all processes' user + system time by the first answer, much less so).`,
    "",
    "| start | mode | first answer s (goal) | CPU s to first answer | RSS at rest MiB (goal) | RSS after load MiB | processes | load average |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of runs) {
    const goal = run.start === "warm" ? GOALS.warmS : GOALS.coldS;
    lines.push(
      `| ${run.start} | ${run.mode} | ${run.firstAnswerS.toFixed(1)} (< ${goal}: ${verdict(run.firstAnswerS, goal)}) | ${run.cpuS.toFixed(1)} | ${mb(run.restRssMb)} (< ${GOALS.rssMb}: ${verdict(run.restRssMb, GOALS.rssMb)}) | ${run.afterLoadRssMb === undefined ? "" : `${mb(run.afterLoadRssMb)} (${verdict(run.afterLoadRssMb, GOALS.rssMb)})`} | ${run.rest.length} | ${run.loadAverage.toFixed(2)} |`,
    );
  }
  lines.push("", "Timeline (seconds from `npm start`):", "");
  for (const run of runs) {
    lines.push(`- ${run.mode} ${run.start}: ${Object.entries(run.timeline).map(([name, s]) => `${name} ${s.toFixed(1)}`).join(", ")}${run.startScriptSaid ? `; the start script: ${run.startScriptSaid}` : ""}`);
  }
  lines.push("", "RSS per process (MiB), at rest / after load:", "");
  for (const run of runs) {
    lines.push(`- ${run.mode} ${run.start}: ${run.rest.map((p) => `${p.what} ${mb(p.rssMb)}${run.afterLoad ? ` / ${mb(run.afterLoad.find((q) => q.pid === p.pid)?.rssMb ?? 0)}` : ""}`).join(", ")}`);
    if (run.load) lines.push(`  - load: ${run.load.requests} one-stop requests, ${run.load.rps.toFixed(0)} req/s, p50 ${run.load.p50Ms} ms, p99 ${run.load.p99Ms} ms, failed ${run.load.failed}`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const modes = argument("modes", "dev").split(",") as Array<"dev" | "prod">;
  const requests = Number(argument("requests", "10000"));
  const from = argument("repo", HERE);
  const machine = describeMachine();
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: from, encoding: "utf8" }).trim();
  process.stderr.write(`[bench:start] cloning ${from} (${commit}) ...\n`);
  const repo = freshClone(from);
  const runs: Run[] = [];
  try {
    for (const mode of modes) {
      if (mode === "prod") execFileSync("npm", ["run", "--silent", "build"], { cwd: repo, stdio: "inherit" });
      const dataDir = mkdtempSync(join(tmpdir(), `bench-start-data-${mode}-`));
      // An empty temporary folder: tsx's compile cache lives there, so the cold start compiles everything.
      const tmp = mkdtempSync(join(tmpdir(), `bench-start-tmp-${mode}-`));
      try {
        for (const start of ["cold", "warm"] as const) {
          const env: NodeJS.ProcessEnv = {
            ...process.env,
            TMPDIR: tmp,
            DATA_DIR: dataDir,
            PORT: String(await freePort()),
            METRICS_PORT: "0",
            HPF_APP_PORT: "0",
            npm_config_update_notifier: "false",
          };
          for (const name of Object.keys(env)) if (name === "DATABASE_URL" || name.endsWith("_DATABASE_URL") || name.endsWith("_SUBGRAPH_URL")) delete env[name];
          const loadAverage = loadavg()[0]!;
          process.stderr.write(`[bench:start] ${mode} ${start} (load average ${loadAverage.toFixed(2)}) ...\n`);
          const { child, seconds, cpuS, token, url, timeline, said } = await startAndTime(mode, repo, env);
          try {
            await new Promise((resolve) => setTimeout(resolve, 10_000)); // at rest: start-up work settled
            const rest = treeRss(child.pid!);
            const run: Run = { mode, start, firstAnswerS: seconds, cpuS, timeline, startScriptSaid: said, restRssMb: rest.totalMb, rest: rest.processes, loadAverage };
            if (start === "warm" && requests > 0) {
              const load = await runLoad({
                target: { key: "this", label: mode, pid: child.pid!, url, headers: { authorization: `Bearer ${token}` } },
                workload: oneStopWorkload(DEMO_CITIZENS),
                connections: 16,
                amount: requests,
                firstRequest: 0,
              });
              const failed = load.errors + load.non2xx + load.graphqlErrors;
              if (failed) process.stderr.write(`[bench:start] ${failed} failed responses, e.g. ${JSON.stringify(load.sampleError)}\n`);
              await new Promise((resolve) => setTimeout(resolve, 5000));
              const after = treeRss(child.pid!);
              run.afterLoadRssMb = after.totalMb;
              run.afterLoad = after.processes;
              run.load = { requests: load.requests, rps: load.rps, p50Ms: load.p50Ms, p99Ms: load.p99Ms, failed };
            }
            runs.push(run);
            process.stderr.write(`[bench:start] ${mode} ${start}: first answer ${seconds.toFixed(1)} s (${cpuS.toFixed(1)} s of CPU), RSS ${mb(run.restRssMb)} MiB at rest${run.afterLoadRssMb ? `, ${mb(run.afterLoadRssMb)} MiB after ${requests} requests` : ""}\n`);
          } finally {
            await stop(child);
          }
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  } finally {
    if (!process.argv.includes("--keep")) rmSync(repo, { recursive: true, force: true });
  }
  const text = report(runs, requests, machine, commit);
  console.log(text);
  const stamp = new Date().toISOString().replace(/\..*$/, "Z").replace(/:/g, "-");
  const results = join(HERE, "scripts/bench/results");
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, `start-${stamp}.md`), `${text}\n`);
  writeFileSync(join(results, `start-${stamp}.json`), `${JSON.stringify({ machine, commit, requests, goals: GOALS, runs }, null, 2)}\n`);
  process.stderr.write(`[bench:start] saved scripts/bench/results/start-${stamp}.{md,json}\n`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
