/**
 * deploy/ cannot run here (no Docker, no cluster), so it is checked against
 * the code: every environment variable the Dockerfile, compose.yaml and the
 * Kubernetes manifests set is one the services' config reads (and accepts);
 * every entry file, port and path they name exists; the nginx template's
 * placeholders are all given; the Grafana dashboard plots only metrics the
 * services expose.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { readGatewayConfig } from "../../gateway/config.ts";
import { agencies } from "../../subgraphs/agencies.ts";
import { readSubgraphConfig } from "../../subgraphs/shared/config.ts";
import { REPO_ROOT } from "../../scripts/childProcesses.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const deploy = (name: string) => join(REPO_ROOT, "deploy", name);
/** Read by Node and the libraries, not by the services' config. */
const RUNTIME_VARIABLES = new Set(["NODE_ENV"]);

/** Runs `read` over `values` and returns the names it looked at. */
function namesRead(values: Record<string, string>, read: (env: NodeJS.ProcessEnv) => unknown): Set<string> {
  const names = new Set<string>();
  const env = new Proxy(values, {
    get(target, key) {
      if (typeof key === "string") names.add(key);
      return typeof key === "string" ? target[key] : undefined;
    },
  });
  read(env);
  return names;
}

/** The entry a container command runs, as the TypeScript source it is compiled from. */
function sourceOf(command: string[]): string {
  expect(command[0]).toBe("node");
  expect(command[1]).toMatch(/^dist\/.+\.js$/);
  return command[1]!.replace(/^dist\//, "").replace(/\.js$/, ".ts");
}

/** Checks one container's environment against the config of what it runs; returns the config. */
function checkEnvironment(source: string, environment: Record<string, string>) {
  const gateway = source === "gateway/main.ts";
  const agency = agencies.find((a) => source === `subgraphs/${a.name}/main.ts`);
  expect(gateway || agency, `${source} is the gateway or an agency`).toBeTruthy();
  const read = gateway ? readGatewayConfig : (env: NodeJS.ProcessEnv) => readSubgraphConfig(agency!, env);
  const names = namesRead(environment, read);
  for (const name of Object.keys(environment)) {
    if (!RUNTIME_VARIABLES.has(name)) expect(names.has(name), `${name} (set for ${source}) is read by its config`).toBe(true);
  }
  return read(environment);
}

let system: System;
let metricNames: Set<string>;

beforeAll(async () => {
  // Only the gateway: enough to ask its probe and metrics paths.
  system = await startSystem({ suite: "ops-deploy", withoutAgencies: agencies.map((a) => a.name) });
  const text = await (await fetch(system.gateway.metricsUrl)).text();
  metricNames = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));
  metricNames.add("sql_statements_total").add("subgraph_requests_total");
});

afterAll(async () => {
  await system?.stop();
});

describe("deploy/compose.yaml", () => {
  const compose = parse(readFileSync(deploy("compose.yaml"), "utf8"), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; secrets?: string[]; image?: string; volumes?: string[] }>;
    secrets: Record<string, unknown>;
  };
  const ours = Object.entries(compose.services).filter(([, service]) => service.image === "gov-data-gateway");

  it("runs the five agencies and two gateway replicas, each from an entry that exists, with only variables its config reads", () => {
    const sources = ours.map(([, service]) => sourceOf(service.command!));
    expect(sources.filter((s) => s === "gateway/main.ts")).toHaveLength(2);
    for (const agency of agencies) expect(sources).toContain(`subgraphs/${agency.name}/main.ts`);
    for (const [name, service] of ours) {
      const source = sourceOf(service.command!);
      expect(existsSync(join(REPO_ROOT, source)), `${name}: ${source}`).toBe(true);
      checkEnvironment(source, service.environment ?? {});
      for (const value of Object.values(service.environment ?? {})) {
        const secret = /^\/run\/secrets\/(.+)$/.exec(value)?.[1];
        if (secret) expect(service.secrets, `${name} mounts ${secret}`).toContain(secret);
      }
      for (const secret of service.secrets ?? []) expect(compose.secrets[secret], secret).toBeDefined();
    }
  });

  it("points the gateway at each agency's service and port, and nginx at each replica's port", () => {
    const portOf = (service: string) => Number(compose.services[service]?.environment?.PORT);
    for (const [, service] of ours.filter(([, s]) => s.command![1] === "dist/gateway/main.js")) {
      for (const [name, value] of Object.entries(service.environment!)) {
        if (!name.endsWith("_SUBGRAPH_URL")) continue;
        const url = new URL(value);
        expect(Number(url.port), name).toBe(portOf(url.hostname));
        expect(url.pathname).toBe("/graphql");
      }
    }
    const nginx = compose.services.nginx!;
    const upstreams = [...nginx.environment!.GATEWAY_UPSTREAM_SERVERS!.matchAll(/server ([\w-]+):(\d+)/g)];
    expect(upstreams.map((m) => m[1])).toEqual(["gateway-1", "gateway-2"]);
    for (const [, host, port] of upstreams) expect(Number(port)).toBe(portOf(host!));
    const template = nginx.volumes!.find((volume) => volume.includes("gateway.conf.template"))!.split(":")[0]!;
    const placeholders = [...readFileSync(join(REPO_ROOT, "deploy", template), "utf8").matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
    expect(placeholders.length).toBeGreaterThan(0);
    for (const name of placeholders) expect(Object.keys(nginx.environment!), `nginx gets ${name}`).toContain(name);
  });
});

describe("deploy/kubernetes/gateway.yaml", () => {
  const documents = parseAllDocuments(readFileSync(deploy("kubernetes/gateway.yaml"), "utf8")).map((d) => d.toJS());
  const deployment = documents.find((d) => d.kind === "Deployment");
  const service = documents.find((d) => d.kind === "Service");
  const budget = documents.find((d) => d.kind === "PodDisruptionBudget");
  const container = deployment.spec.template.spec.containers[0];

  it("sets only variables the gateway's config reads, with its ports", () => {
    const environment: Record<string, string> = {};
    for (const variable of container.env) {
      // Values from secrets: a well-formed stand-in.
      environment[variable.name] = variable.value ?? (variable.name === "REDIS_URL" ? "redis://redis:6379" : "postgresql://gateway@postgres:5432");
    }
    expect(existsSync(join(REPO_ROOT, sourceOf(container.command)))).toBe(true);
    const config = checkEnvironment(sourceOf(container.command), environment) as ReturnType<typeof readGatewayConfig>;
    const ports = Object.fromEntries(container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    expect(ports.http).toBe(config.port);
    expect(ports.metrics).toBe(config.observability.metricsPort);
    for (const path of [config.signingKeyPath, config.receiptKeyPath, config.auditPseudonymKeyPath, config.auditHeadsPath]) {
      expect(container.volumeMounts.some((mount: { mountPath: string }) => path.startsWith(`${mount.mountPath}/`)), path).toBe(true);
    }
    for (const port of service.spec.ports) expect(Object.keys(ports)).toContain(port.targetPort);
    expect(budget.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it("probes /health and /ready, which the gateway answers, and scrapes the metrics path it serves", async () => {
    expect(container.livenessProbe.httpGet.path).toBe("/health");
    expect(container.readinessProbe.httpGet.path).toBe("/ready");
    const base = system.gatewayUrl.replace(/\/graphql$/, "");
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(probe.httpGet.port).toBe("http");
      // Agencies are down here: the gateway is degraded, and still ready.
      expect((await fetch(base + probe.httpGet.path)).status, probe.httpGet.path).toBe(200);
    }
    const annotations = deployment.spec.template.metadata.annotations;
    expect(new URL(system.gateway.metricsUrl).pathname).toBe(annotations["prometheus.io/path"]);
  });
});

describe("deploy/Dockerfile", () => {
  const dockerfile = readFileSync(deploy("Dockerfile"), "utf8");

  it("builds in one stage and runs the build output as a non-root user on the gateway's ports", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN npm run build/m);
    expect(JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).scripts.build).toBeDefined();
    expect(dockerfile).toMatch(/^USER node$/m);
    const command = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]!) as string[];
    expect(existsSync(join(REPO_ROOT, sourceOf(command)))).toBe(true);
    const config = readGatewayConfig({});
    expect(/^EXPOSE (.+)$/m.exec(dockerfile)![1]!.split(" ").map(Number)).toEqual([config.port, config.observability.metricsPort]);
    for (const [, name] of dockerfile.matchAll(/^ENV (\w+)=/gm)) expect(RUNTIME_VARIABLES.has(name!) || namesRead({}, readGatewayConfig).has(name!)).toBe(true);
  });
});

describe("deploy/grafana/gateway-dashboard.json", () => {
  it("plots only metrics the services expose", () => {
    const dashboard = JSON.parse(readFileSync(deploy("grafana/gateway-dashboard.json"), "utf8")) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const names = [...target.expr.matchAll(/\b((?:gateway|process|db|subgraph|sql)_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ""));
        expect(names.length, panel.title).toBeGreaterThan(0);
        for (const name of names) expect(metricNames.has(name), `${panel.title}: ${name}`).toBe(true);
      }
    }
  });
});
