// Starts the whole system on the embedded default: the agency subgraphs (one process, each its own port and database) and the gateway, on loopback.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { readAgencyManifest } from "../subgraphs/agencyManifest.ts";
import { metricsPortOf } from "../subgraphs/shared/config.ts";
import { INTROSPECTION_SCOPE } from "../gateway/authz/createOperationAuthorizer.ts";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../gateway/config.ts";
import { ensureDevKeys, loadSigningKey } from "../platform/security/keys.ts";
import { signDevToken } from "../platform/security/signDevToken.ts";
import { scopesOf } from "../schema/scopesOf.ts";
import { HPF_APP_ID, HPF_PURPOSE } from "../apps/hpf-withdrawal/config.ts";
import { DECISION_SCOPES } from "../apps/hpf-withdrawal/createTokenSource.ts";
import { grantThroughApi } from "../gateway/governance/grantThroughApi.ts";
import { readCatalog } from "../gateway/governance/readCatalog.ts";
import { REPO_ROOT, startChild, stopAllChildren } from "./childProcesses.ts";
import { createLogLineWriter } from "./logLines.ts";

// Every process logs JSON lines; in a terminal they are shown readable, otherwise passed on as they are.
const writeLogLines = createLogLineWriter(process.stdout);

// Names, titles and ports only (the manifest): this process never loads an agency's code or Prisma client.
const agencies = readAgencyManifest();
let stopping = false;

/** Starts `entry` as its own process; resolves with the URL it prints once ready. */
async function startProcess(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = await startChild({
    name,
    entry,
    env,
    // Six processes opening their databases at once take long on a small, busy machine.
    startTimeoutMs: 300_000,
    onOutput: (text) => writeLogLines(name, text),
    onExit: (code, signal) => {
      if (!stopping) console.error(`${name} stopped unexpectedly (${signal ?? `code ${code}`}); the gateway answers without it`);
    },
  });
  return child.url;
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  await stopAllChildren();
  process.exit(code);
}

/** A port free on loopback now (for PORT=0: every service on a free port). */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

async function main(): Promise<void> {
  const began = performance.now();
  const since = () => `${((performance.now() - began) / 1000).toFixed(1)} s`;
  const timeline: string[] = [];
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));
  // An empty setting is an unset one (as gateway/config.ts reads them): `PORT= npm start` is port 4000.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== ""));
  env.DATA_DIR ??= ".data";
  // Dev keys (made once under DATA_DIR/keys, never committed): the dev issuer's and the gateway's own.
  const keys = await ensureDevKeys(resolve(env.DATA_DIR!));
  const where = env.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : `PGlite under ${env.DATA_DIR}/`;
  console.log(`starting ${agencies.length} agencies and the gateway on ${where} ...`);
  // The agencies share one process (each its own port and database; see subgraphs/shared/runAgencies.ts),
  // and the gateway starts beside them: its supergraph is a file, and their ports are known.
  const host = env.HOST ?? "127.0.0.1";
  const agencyEnv: NodeJS.ProcessEnv = { ...env };
  delete agencyEnv.PORT;
  delete agencyEnv.METRICS_PORT;
  // PORT=0 (tests, benches): every service takes a free port, chosen here so that each can be told the others' before they start.
  const portOf = async (wanted: string | undefined, fallback: number) => (wanted === "0" ? await freePort(host) : Number(wanted ?? fallback));
  const gatewayPort = await portOf(env.PORT, 4000);
  const gatewayEnv: NodeJS.ProcessEnv = { ...env, PORT: String(gatewayPort), METRICS_PORT: env.METRICS_PORT ?? "9400" };
  const agencyPorts = new Map<string, number>();
  for (const agency of agencies) {
    const port = await portOf(env.PORT === "0" ? "0" : undefined, agency.defaultPort);
    agencyPorts.set(agency.name, port);
    const variable = agency.name.toUpperCase().replace(/-/g, "_");
    agencyEnv[`${variable}_PORT`] = String(port);
    gatewayEnv[`${variable}_SUBGRAPH_URL`] = `http://${host}:${port}/graphql`;
  }
  // All three start at once: the gateway needs no agency to start (its supergraph is a file), and the withdrawal
  // app (a real service on the supergraph, a client of the gateway) none of them until it is asked something.
  const hpfEnv = { ...env, GATEWAY_URL: `http://${host}:${gatewayPort}/graphql`, HPF_APP_PORT: env.HPF_APP_PORT ?? "4100" };
  const ready = (name: string) => <T>(value: T) => (timeline.push(`${name} ${since()}`), value);
  const supergraphSdl = readFileSync(resolve(REPO_ROOT, "schema/supergraph.graphql"), "utf8");
  const issuerKey = await loadSigningKey(keys.issuerPrivate);
  const sign = (subject: string, scopes: string[], purpose: string, ttlSeconds = 300) =>
    signDevToken({ key: issuerKey, issuer: env.TOKEN_ISSUER ?? DEV_TOKEN_ISSUER, audience: env.TOKEN_AUDIENCE ?? DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose, ttlSeconds });
  const gatewayReady = startProcess("gateway", "gateway/main.ts", gatewayEnv).then(ready("gateway"));
  const [, gatewayUrl, hpfUrl] = await Promise.all([
    startProcess("agencies", "subgraphs/main.ts", agencyEnv).then(ready("agencies")),
    gatewayReady,
    startProcess("hpf-withdrawal", "apps/hpf-withdrawal/main.ts", hpfEnv).then(ready("withdrawal app")),
    // The demo apps' grants, made through the gateway as soon as it answers (the agencies may still be opening).
    gatewayReady.then((url) => grantDemoApps(url, readCatalog(supergraphSdl).scopes.map((s) => s.scope), sign)).then(ready("grants")),
  ]);
  for (const agency of agencies) {
    const metrics = env.METRICS_PORT === "0" ? "" : `   metrics :${metricsPortOf(agency)}`;
    console.log(`${agency.name.padEnd(14)} http://${host}:${agencyPorts.get(agency.name)}/graphql   ${agency.title}${metrics}`);
  }
  console.log(`${"gateway".padEnd(14)} ${gatewayUrl}   supergraph of all ${agencies.length} agencies   metrics :${gatewayEnv.METRICS_PORT}`);
  console.log(`${"hpf-withdrawal".padEnd(14)} ${hpfUrl}   公积金偿还住房贷款提取 (apps/hpf-withdrawal)`);
  // Every data scope, plus schema:introspect so that GraphiQL shows the schema's docs; 1 h is the gateway's MAX_TOKEN_LIFETIME.
  const demoToken = await sign("app:demo", [...scopesOf(supergraphSdl), INTROSPECTION_SCOPE], "DEMO", 3600);
  const query = `{ citizen(id: \\"140105198605150031\\") { name spouse { name } housingFundAccount { balance } properties { address deedTaxPaid } incomeRecord(year: 2025) { totalIncome } creditReport { score } } }`;
  const origin = new URL(gatewayUrl).origin;
  const pages = [`  IDE (GraphiQL)   ${origin}/graphiql`, `  audit page       ${origin}/audit`];
  // The catalog page is listed once the gateway serves it.
  if ((await fetch(`${origin}/catalog`).catch(() => null))?.status === 200) pages.push(`  data catalog     ${origin}/catalog`, `  data sharing     ${origin}/sharing`);
  pages.unshift(`  withdrawal app   ${hpfUrl}   (no token: development sign-in)`);
  console.log(`\nIn a browser (paste the token):\n${pages.join("\n")}`);
  console.log(`\nA demo token holding every scope and schema:introspect (1 h, the gateway's MAX_TOKEN_LIFETIME; make others with npm run token):\n  export TOKEN=${demoToken}`);
  console.log(`\nstarted in ${since()} (ready: ${timeline.join(", ")})`);
  console.log(`\nTry it:\n  curl -s ${gatewayUrl} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\\n    -d '{"query":"${query}"}'\n\nCtrl-C stops every process.`);
}

/**
 * The demo app (purpose DEMO) holds grants for every scope, the withdrawal app
 * (its purpose) for the scopes its rule needs, made through the governance API like any app's (once:
 * later starts find them active).
 */
async function grantDemoApps(graphqlUrl: string, scopes: string[], sign: (subject: string, scopes: string[], purpose: string) => Promise<string>): Promise<void> {
  const approverToken = await sign("user:demo-approver", agencies.map((agency) => `grants:approve:${agency.name}`), "GRANT_ADMINISTRATION");
  const wanted = [
    { app: "app:demo", purpose: "DEMO", department: "演示 demo" },
    // The withdrawal app: only the scopes its rule needs (minimum data).
    { app: HPF_APP_ID, purpose: HPF_PURPOSE, department: "住房公积金管理中心 housing-fund centre", only: DECISION_SCOPES as readonly string[] },
  ];
  const grants = [];
  for (const { app, purpose, department, only } of wanted) {
    const response = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${approverToken}` },
      body: JSON.stringify({ query: `query($app: String, $purpose: String) { grants(app: $app, purpose: $purpose, activeOnly: true) { scopes expiresAt } }`, variables: { app, purpose } }),
    });
    const body = (await response.json()) as { data?: { grants: Array<{ scopes: string[]; expiresAt: string }> } };
    const soon = Date.now() + 86_400_000;
    const held = new Set((body.data?.grants ?? []).filter((g) => Date.parse(g.expiresAt) > soon).flatMap((g) => g.scopes));
    const missing = (only ?? scopes).filter((scope) => !held.has(scope));
    if (missing.length > 0) grants.push({ app, purpose, scopes: missing, department, durationDays: 365 });
  }
  if (grants.length === 0) return;
  await grantThroughApi({ graphqlUrl, operatorToken: await sign("user:demo-operator", ["grants:admin"], "GRANT_ADMINISTRATION"), approverToken, grants });
  for (const grant of grants) console.log(`granted ${grant.app} for purpose ${grant.purpose}: ${grant.scopes.join(" ")}`);
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
});
