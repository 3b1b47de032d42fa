/**
 * The audit bench's reads over HTTP through the real gateway (gateway/main.ts
 * as a child process) on the seeded database bench_audit: the auditor's
 * `auditRecords` queries as the audit page sends them, a citizen's
 * `accessLog` (with the civil-affairs subgraph that resolves `citizen(id)`,
 * on a database holding that one citizen), and the audit page's first load.
 * Also the gateway's memory before and after the read-heavy run.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { databaseUrlVariableOf, withDatabaseName } from "../../platform/database/databaseUrl.ts";
import type { devKeyPaths } from "../../platform/security/keys.ts";
import { loadSigningKey } from "../../platform/security/keys.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { startChild, type ServiceChild } from "../childProcesses.ts";

const FIELDS =
  "seq time requestId app tokenId purpose operationName operationHash citizenPseudonyms requestedFields grantedFields deniedFields outcome dataReleased errorCodes subgraphs latencyMs clientAddress prevHash hash";
/** The audit page's queries (gateway/auditPage/audit.js). */
export const LIST = `query AuditPage($filter: AuditRecordFilter, $first: Int, $after: String) {
  auditRecords(filter: $filter, first: $first, after: $after) { records { ${FIELDS} } nextCursor } }`;
const FLAG_FIELDS = "id rule summary app purpose citizenPseudonym fields since until observed threshold";
/** The charts' counts and the first page of flags, in one request. */
const SUMMARY = `query AuditSummary($since: DateTime, $until: DateTime, $flags: Int) {
  auditSummary(since: $since, until: $until, topApps: 10) {
    since until hourly { hours rows { app purpose reads denials } } agencies { agency reads } levels { level reads } topApps { app citizens reads }
    anomalies(first: $flags) { total nextCursor flags { ${FLAG_FIELDS} } } } }`;
const MORE_FLAGS = `query AuditMoreFlags($since: DateTime, $until: DateTime, $flags: Int, $after: String) {
  auditSummary(since: $since, until: $until) { anomalies(first: $flags, after: $after) { total nextCursor flags { ${FLAG_FIELDS} } } } }`;
/** The page's flags per page (FLAGS_PAGE in audit.js). */
const FLAGS_PAGE = 20;
const ACCESS_LOG = `query AccessLog($id: ID!) { citizen(id: $id) { accessLog(first: 20) { time app purpose fields outcome } } }`;

export interface AuditGateway {
  url: string;
  pid: number;
  auditorToken: string;
  citizenToken: string;
  stop(): Promise<void>;
}

/** The gateway (and civil-affairs, for accessLog) on database bench_audit, with the bench's keys. */
export async function startAuditGateway(options: {
  serverUrl: string;
  /** The audit (gateway) database. */
  database: string;
  keys: ReturnType<typeof devKeyPaths>;
  dataDir: string;
  citizenId: string;
  baseEnv: NodeJS.ProcessEnv;
  /** Node flags for the gateway (e.g. `--cpu-prof`). */
  gatewayNodeFlags?: string[];
}): Promise<AuditGateway> {
  const { serverUrl, keys, dataDir, citizenId } = options;
  const civilDatabase = `${options.database}_civil`;
  const admin = new pg.Client({ connectionString: withDatabaseName(serverUrl, "postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${civilDatabase}" WITH (FORCE)`);
  await admin.end();
  const children: ServiceChild[] = [];
  try {
    const civil = await startChild({
      name: "civil-affairs",
      entry: "subgraphs/civil-affairs/main.ts",
      env: {
        ...options.baseEnv,
        [databaseUrlVariableOf("civil-affairs")]: withDatabaseName(serverUrl, civilDatabase),
        HOST: "127.0.0.1",
        PORT: "0",
        METRICS_PORT: "0",
        SEED_DEMO: "false",
        DATA_DIR: dataDir,
        GATEWAY_JWKS: keys.gatewayJwks,
      },
    });
    children.push(civil);
    const db = new pg.Client({ connectionString: withDatabaseName(serverUrl, civilDatabase) });
    await db.connect();
    await db.query(`INSERT INTO citizen (id, name, gender, birth_date, marital_status) VALUES ($1, '审计测试', 'FEMALE', $2, 'SINGLE') ON CONFLICT DO NOTHING`, [
      citizenId,
      `${citizenId.slice(6, 10)}-${citizenId.slice(10, 12)}-${citizenId.slice(12, 14)}`,
    ]);
    await db.end();
    const gateway = await startChild({
      name: "gateway",
      entry: "gateway/main.ts",
      nodeFlags: options.gatewayNodeFlags,
      env: {
        ...options.baseEnv,
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: "0",
        METRICS_PORT: "0",
        DATA_DIR: dataDir,
        JWKS: keys.issuerJwks,
        GATEWAY_SIGNING_KEY: keys.gatewayPrivate,
        AUDIT_PSEUDONYM_KEY: keys.auditPseudonymKey,
        RECEIPT_SIGNING_KEY: keys.receiptPrivate,
        RATE_LIMIT_PER_SECOND: "1000000",
        RATE_LIMIT_BURST: "10000000",
        DATABASE_URL: serverUrl,
        [databaseUrlVariableOf("gateway")]: withDatabaseName(serverUrl, options.database),
        CIVIL_AFFAIRS_SUBGRAPH_URL: civil.url,
      },
    });
    children.push(gateway);
    const key = await loadSigningKey(keys.issuerPrivate);
    const sign = (subject: string, scopes: string[], purpose: string, citizens?: string[]) =>
      signDevToken({ key, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose, citizens, ttlSeconds: 3600 });
    return {
      url: gateway.url,
      pid: gateway.pid,
      auditorToken: await sign("app:bench-auditor", ["audit:read"], "AUDIT"),
      citizenToken: await sign("app:citizen-portal", ["self:access-log"], "SELF_SERVICE", [citizenId]),
      stop: async () => {
        for (const child of children.reverse()) await child.stop();
      },
    };
  } catch (error) {
    for (const child of children.reverse()) await child.stop().catch(() => {});
    throw error;
  }
}

/** POSTs one GraphQL operation; throws on an error in the answer. */
export async function postGraphQL(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(`${response.status}: ${body.errors.map((e) => e.message).join("; ")}`);
  return body.data;
}

/** The last 24 hours, as the page asks by default. */
function lastDay(): { since: string; until: string } {
  const until = new Date();
  return { since: new Date(until.getTime() - 24 * 3_600_000).toISOString(), until: until.toISOString() };
}

/** The auditor page's first load, as the page asks: the first page of records and, at the same time, the charts' summary with the first page of flags. */
export async function auditPageFirstLoad(gateway: AuditGateway): Promise<{ records: number; bytes: number; flags: number; totalFlags: number; nextCursor: string | null }> {
  const [list, summary] = await Promise.all([
    postGraphQLSized(gateway.url, gateway.auditorToken, LIST, { filter: {}, first: 25, after: null }),
    postGraphQLSized(gateway.url, gateway.auditorToken, SUMMARY, { ...lastDay(), flags: FLAGS_PAGE }),
  ]);
  const { anomalies } = summary.data.auditSummary;
  return { records: list.data.auditRecords.records.length, bytes: list.bytes + summary.bytes, flags: anomalies.flags.length, totalFlags: anomalies.total, nextCursor: anomalies.nextCursor };
}

/** The page's "More flags": the next page of the last day's flags. */
export async function auditPageMoreFlags(gateway: AuditGateway, after: string): Promise<{ flags: number; bytes: number }> {
  const more = await postGraphQLSized(gateway.url, gateway.auditorToken, MORE_FLAGS, { ...lastDay(), flags: FLAGS_PAGE, after });
  return { flags: more.data.auditSummary.anomalies.flags.length, bytes: more.bytes };
}

/** postGraphQL, with the answer's size in bytes. */
async function postGraphQLSized(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<{ data: any; bytes: number }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(`${response.status}: ${body.errors.map((e) => e.message).join("; ")}`);
  return { data: body.data, bytes: Buffer.byteLength(text) };
}

export async function accessLog(gateway: AuditGateway, citizenId: string): Promise<number> {
  const data = await postGraphQL(gateway.url, gateway.citizenToken, ACCESS_LOG, { id: citizenId });
  return data.citizen.accessLog.length;
}

export async function auditRecordsPage(gateway: AuditGateway, filter: Record<string, unknown>, first: number, after: string | null): Promise<number> {
  const data = await postGraphQL(gateway.url, gateway.auditorToken, LIST, { filter, first, after });
  return data.auditRecords.records.length;
}

/** The resident set size of a process, from /proc (Linux). */
export function rssMiBOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round(Number(match[1]) / 102.4) / 10 : NaN;
}
