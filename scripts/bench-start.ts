// Measures `npm start` (tsx) and `npm run start:prod` (compiled): time to the first answer, cold (fresh DATA_DIR) and warm, and the total RSS of all its processes at rest and after N one-stop requests (npm run bench:start -- [--requests 10000] [--modes dev,prod]).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./childProcesses.ts";
import { runLoad } from "./bench/measure.ts";
import { oneStopWorkload } from "./bench/workloads.ts";

const DEMO_CITIZENS = ["140105198605150031", "140105198803120028", "330106197501050017", "14010519650909005X"];
const GATEWAY = "http://127.0.0.1:4000/graphql";

interface Run {
  mode: string;
  start: "cold" | "warm";
  firstAnswerS: number;
  restRssMb: number;
  afterLoadRssMb?: number;
  processes: number;
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

function totalRssMb(root: number): { mb: number; processes: number } {
  let kb = 0;
  const tree = processTree(root);
  for (const pid of tree) {
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return { mb: kb / 1024, processes: tree.length };
}

function command(mode: string): string[] {
  return mode === "prod" ? [join(REPO_ROOT, "dist/scripts/start.js")] : ["--import", "tsx", "scripts/start.ts"];
}

async function startAndTime(mode: string, dataDir: string): Promise<{ child: ChildProcess; seconds: number; token: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, command(mode), {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, NODE_ENV: mode === "prod" ? "production" : "development", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${mode} start exited:\n${output}`);
    const token = /export TOKEN=(\S+)/.exec(output)?.[1];
    if (token) {
      const answer = await fetch(GATEWAY, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ citizen(id: "${DEMO_CITIZENS[0]}") { name } }` }),
      }).catch(() => null);
      if (answer?.ok && ((await answer.json()) as { data?: { citizen?: { name?: string } } }).data?.citizen?.name) {
        return { child, seconds: (performance.now() - started) / 1000, token };
      }
    }
    if (performance.now() - started > 300_000) throw new Error(`${mode} start: no answer within 300 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await exited;
}

async function main(): Promise<void> {
  const modes = argument("modes", "dev,prod").split(",");
  const requests = Number(argument("requests", "10000"));
  if (modes.includes("prod") && !existsSync(join(REPO_ROOT, "dist/scripts/start.js"))) throw new Error("run npm run build first");
  const runs: Run[] = [];
  for (const mode of modes) {
    const dataDir = mkdtempSync(join(tmpdir(), `gateway-start-${mode}-`));
    try {
      for (const start of ["cold", "warm"] as const) {
        process.stderr.write(`[bench:start] ${mode} ${start} ...\n`);
        const { child, seconds, token } = await startAndTime(mode, dataDir);
        await new Promise((resolve) => setTimeout(resolve, 5000)); // at rest: start-up work settled
        const rest = totalRssMb(child.pid!);
        const run: Run = { mode, start, firstAnswerS: seconds, restRssMb: rest.mb, processes: rest.processes };
        if (start === "warm" && requests > 0) {
          const load = await runLoad({
            target: { key: "this", label: mode, pid: child.pid!, url: GATEWAY, headers: { authorization: `Bearer ${token}` } },
            workload: oneStopWorkload(DEMO_CITIZENS),
            connections: 16,
            amount: requests,
            firstRequest: 0,
          });
          if (load.errors || load.non2xx || load.graphqlErrors) process.stderr.write(`[bench:start] load errors: ${JSON.stringify(load.sampleError)}\n`);
          run.afterLoadRssMb = totalRssMb(child.pid!).mb;
        }
        runs.push(run);
        process.stderr.write(`[bench:start] ${JSON.stringify(run)}\n`);
        await stop(child);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  console.log("| start | mode | first answer s | processes | RSS at rest MiB | RSS after load MiB |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const run of runs) {
    console.log(`| ${run.start} | ${run.mode} | ${run.firstAnswerS.toFixed(1)} | ${run.processes} | ${run.restRssMb.toFixed(0)} | ${run.afterLoadRssMb?.toFixed(0) ?? ""} |`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
