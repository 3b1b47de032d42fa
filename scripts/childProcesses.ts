/**
 * Child service processes of `npm start` and `npm run bench`: each started
 * with `node [flags] --import tsx <entry>`, or on the entry's bundle when
 * scripts/run-bundled.mjs made one (so /proc/<pid> is that node process itself), ready once it prints "ready at <url>", and all of them
 * stopped when the parent ends, fails or is interrupted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the entries are: the repository, or dist/ when this runs compiled (npm run build). */
const MODULE_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Whether this is the compiled output: children then run compiled too, with no tsx. */
export const COMPILED = import.meta.url.endsWith(".js");
export const REPO_ROOT = COMPILED ? resolve(MODULE_ROOT, "..") : MODULE_ROOT;

/** Bundles of child entries made by scripts/run-bundled.mjs when it started this process (entry → file): run without tsx. */
const RUN_BUNDLES: Record<string, string> = (globalThis as { runBundles?: Record<string, string> }).runBundles ?? {};

export interface ServiceChild {
  name: string;
  pid: number;
  /** What it printed as ready, e.g. `http://127.0.0.1:40123/graphql`. */
  url: string;
  /** The last lines it printed, for diagnosing. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
/** Set once the bench is stopping: no new child starts after that. */
let closed = false;

/** Spawns `entry` (relative to the repository) and resolves when it prints its URL. */
export function startChild(options: {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  nodeFlags?: string[];
  /** @default 120000 */
  startTimeoutMs?: number;
  /** Output printed after the child was ready. */
  onOutput?: (text: string) => void;
  /** Called when a child that was ready exits. */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}): Promise<ServiceChild> {
  return new Promise((resolve, reject) => {
    if (closed) return reject(new Error(`not starting ${options.name}: the bench is stopping`));
    const bundle = RUN_BUNDLES[options.entry];
    const entry = COMPILED ? [join(MODULE_ROOT, options.entry.replace(/\.ts$/, ".js"))] : bundle ? [bundle] : ["--import", "tsx", options.entry];
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...entry], {
      cwd: REPO_ROOT,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let output = "";
    let ready = false;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
      if (ready) options.onOutput?.(chunk.toString());
      if (!ready) {
        const match = /ready at (https?:\/\/[^\s"]+)/.exec(output);
        if (match) {
          ready = true;
          clearTimeout(timer);
          resolve(handle(match[1]!));
        }
      }
    };
    // Always drained, so a chatty child never blocks on a full pipe.
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.once("exit", (code, signal) => {
      running.delete(child);
      if (ready) options.onExit?.(code, signal);
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${signal ?? `code ${code}`}) before it was ready:\n${output.trim()}`));
      }
    });
    child.once("error", (error) => reject(new Error(`${options.name} could not start: ${error.message}`)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${options.name} was not ready within ${(options.startTimeoutMs ?? 120_000) / 1000} s:\n${output.trim()}`));
    }, options.startTimeoutMs ?? 120_000);

    const handle = (url: string): ServiceChild => ({
      name: options.name,
      pid: child.pid!,
      url,
      recentOutput: () => output.trim(),
      stop: async (graceMs = 10_000) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(kill);
      },
    });
  });
}

/** Stops every child still running (SIGTERM, SIGKILL after 5 s). */
export async function stopAllChildren(): Promise<void> {
  closed = true;
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once("exit", () => done());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
}

/** Last resort on process exit: kill whatever is left, synchronously. */
export function killAllChildrenNow(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
