/**
 * `npm run audit` as an operator runs it, for the suites that check its
 * output and exit code: `tsx scripts/audit.ts ARGS` in the repository, with
 * `env` over this process's environment (an `undefined` value removes that
 * variable).
 */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface AuditCliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runAuditCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<AuditCliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  return new Promise((resolve) => {
    execFile("npx", ["tsx", "scripts/audit.ts", ...args], { cwd: ROOT, env: childEnv, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on, so the CLI finds no running gateway to ask. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
