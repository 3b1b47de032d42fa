/**
 * Debian's nginx (nginx-light) in front of gateway replicas, configured from
 * deploy/nginx/gateway.conf.template, as an unprivileged foreground process
 * with every file under `workDir`. Used by the replica test and the replica
 * bench; in production the template is filled by the nginx image's envsubst.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { REPO_ROOT } from "./childProcesses.ts";

/** Where Debian installs nginx; undefined when it is not installed. */
export const NGINX_BINARY = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((path) => existsSync(path));

export interface RunningNginx {
  /** e.g. `http://127.0.0.1:41234` */
  origin: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startNginx(options: { upstreamPorts: readonly number[]; workDir: string }): Promise<RunningNginx> {
  if (!NGINX_BINARY) throw new Error("nginx is not installed (apt-get install -y nginx-light)");
  const port = await freePort();
  const template = readFileSync(join(REPO_ROOT, "deploy/nginx/gateway.conf.template"), "utf8");
  const values: Record<string, string> = {
    NGINX_LISTEN: `127.0.0.1:${port}`,
    GATEWAY_UPSTREAM_SERVERS: options.upstreamPorts.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join(" "),
  };
  const dir = options.workDir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "gateway.conf"), template.replace(/\$\{(\w+)\}/g, (_, name: string) => values[name]!));
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `${kind}_temp_path ${dir}/${kind};`).join("\n  ");
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  ${temp}\n  include ${dir}/gateway.conf;\n}\n`,
  );
  const child = spawn(NGINX_BINARY, ["-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const origin = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await fetch(`${origin}/health`).catch(() => null))?.ok) return { origin, pid: child.pid!, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`nginx did not serve:\n${existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : ""}`);
}
