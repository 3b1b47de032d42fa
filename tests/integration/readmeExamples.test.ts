/**
 * Examples that cannot rot: `npm start` (gateway and app on free ports) with a fresh DATA_DIR
 * prints the IDE, audit page and a demo token; then every ```sh block of
 * README.md runs against that system, in order, with bash (TOKEN exported,
 * http://127.0.0.1:4000 pointing at this gateway). Each must exit 0 and print
 * the fragment of its `<!-- expect: TEXT -->` marker; blocks that cannot run
 * here are fenced ```sh norun. (The convention is stated in the README.)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeShellExamples } from "../support/readmeShellExamples.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const examples = readmeShellExamples(README);

/** The environment of `npm start` and of each example: the embedded default, whatever the test run uses. */
function exampleEnvironment(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: "0", METRICS_PORT: "0", HPF_APP_PORT: "0", npm_config_update_notifier: "false" };
  for (const name of Object.keys(env)) if (name === "DATABASE_URL" || name.endsWith("_DATABASE_URL") || name.endsWith("_SUBGRAPH_URL")) delete env[name];
  return env;
}

let start: ChildProcess;
let output = "";
let dataDir: string;
let origin: string;
let token: string;

function waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output);
      if (match) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(match);
      }
    };
    const timer = setInterval(check, 100);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`npm start did not print ${pattern} within ${timeoutMs / 1000} s:\n${output.slice(-4000)}`));
    }, timeoutMs);
    start.once("exit", (code) => {
      clearInterval(timer);
      clearTimeout(deadline);
      reject(new Error(`npm start exited (${code}):\n${output.slice(-4000)}`));
    });
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "readme-examples-"));
  // Its own process group, so that stopping it stops every service it started.
  start = spawn("npm", ["start"], { cwd: ROOT, env: exampleEnvironment(dataDir), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  start.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  start.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  token = (await waitFor(/export TOKEN=(\S+)/, 590_000))[1]!;
  origin = (await waitFor(/IDE \(GraphiQL\)\s+(http:\/\/\S+)\/graphiql/, 1000))[1]!;
}, 600_000);

/** Whether any process of the group is still there. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  if (start?.pid && groupAlive(start.pid)) {
    process.kill(-start.pid, "SIGTERM");
    // npm start stops its services itself; wait until the last has exited (SIGKILL after 30 s).
    for (let waited = 0; groupAlive(start.pid); waited += 100) {
      if (waited === 30_000) process.kill(-start.pid, "SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
}, 60_000);

describe("npm start", () => {
  it("prints the IDE, the audit page and a demo token holding schema:introspect", async () => {
    expect(output).toMatch(/IDE \(GraphiQL\)\s+http:\/\/127\.0\.0\.1:\d+\/graphiql/);
    expect(output).toMatch(/audit page\s+http:\/\/127\.0\.0\.1:\d+\/audit/);
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as { scope: string };
    expect(claims.scope.split(" ")).toContain("schema:introspect");
    const ide = await fetch(`${origin}/`);
    expect(ide.url).toBe(`${origin}/graphiql`);
    expect(await ide.text()).toContain("graphiql.js");
  });
});

describe("README.md shell examples", () => {
  it("marks every ```sh block with an expected output or norun", () => {
    const unmarked = examples.filter((example) => !example.norun && example.expect === undefined).map((example) => `README.md:${example.line}`);
    expect(unmarked, "add <!-- expect: TEXT --> after the block, or fence it ```sh norun").toEqual([]);
    expect(examples.filter((example) => !example.norun).length).toBeGreaterThan(2);
  });

  for (const example of examples.filter((candidate) => !candidate.norun && candidate.expect !== undefined)) {
    it(`README.md:${example.line} runs and prints ${JSON.stringify(example.expect)}`, () => {
      const code = example.code.replaceAll("http://127.0.0.1:4000", origin);
      const result = spawnSync("bash", ["-eo", "pipefail", "-c", code], {
        cwd: ROOT,
        env: { ...exampleEnvironment(dataDir), PORT: new URL(origin).port, TOKEN: token },
        encoding: "utf8",
        timeout: 170_000,
      });
      const printed = `${result.stdout}${result.stderr}`;
      expect(result.status, `README.md:${example.line} exited ${result.status}:\n${printed.slice(-3000)}`).toBe(0);
      expect(printed, `README.md:${example.line}`).toContain(example.expect);
    }, 180_000);
  }
});
