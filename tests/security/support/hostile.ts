/**
 * Helpers of the hostile-input suites: raw HTTP against the real services
 * (every response is kept so a final case can check that none leaks), tokens
 * signed by a system's own dev issuer, a second gateway over a system's
 * subgraphs (other subgraph URLs, limits or rate-limit store), and an agency
 * that accepts connections and never answers.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER, readGatewayConfig, type GatewayConfig } from "../../../gateway/config.ts";
import { quietObservability } from "../../../platform/observability/readObservabilityConfig.ts";
import { startGateway, type RunningGateway } from "../../../gateway/createGateway.ts";
import { signDevToken, type DevTokenOptions } from "../../../platform/security/signDevToken.ts";
import { GENEROUS_UNAUTHENTICATED_RATE, type System } from "../../support/startSystem.ts";
import { STANDARD_SCOPES } from "../../support/standardScopes.ts";

export const LI_WEI = "140105198605150031";
export const WANG_FANG = "140105198803120028";
export const ZHANG_MIN = "330106197501050017";
export const INTROSPECT = "schema:introspect";

export interface HttpResult {
  status: number;
  headers: Headers;
  ms: number;
  text: string;
  body: {
    data?: any;
    errors?: Array<{ message: string; path?: Array<string | number>; locations?: unknown; extensions?: Record<string, unknown> }>;
  };
}

/** Every response of this test file, with the variables that were sent (for the leak check). */
export const seen: Array<{ label: string; result: HttpResult; variables?: Record<string, unknown> }> = [];

export function token(system: System, extra: Partial<DevTokenOptions> = {}): Promise<string> {
  return signDevToken({
    key: system.issuerKey,
    issuer: DEV_TOKEN_ISSUER,
    audience: DEFAULT_TOKEN_AUDIENCE,
    subject: "app:hostile-input",
    scopes: STANDARD_SCOPES,
    purpose: "SECURITY_TEST",
    ...extra,
  });
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Raw body; default: JSON of { query, variables, operationName, extensions }. */
  body?: BodyInit;
  /** Query string for GET. */
  search?: Record<string, string>;
  variables?: Record<string, unknown>;
  operationName?: string;
  extensions?: Record<string, unknown>;
  /** Bearer token; "" sends no Authorization. */
  token?: string;
  label?: string;
}

/** Sends one request and records it; never throws on a non-2xx answer. */
export async function send(url: string, query: string | undefined, options: SendOptions = {}): Promise<HttpResult> {
  const method = options.method ?? "POST";
  const target = new URL(url);
  for (const [name, value] of Object.entries(options.search ?? {})) target.searchParams.set(name, value);
  const headers: Record<string, string> = {
    ...(method === "POST" ? { "content-type": "application/json" } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  const body =
    method === "GET"
      ? undefined
      : (options.body ??
        JSON.stringify({ query, variables: options.variables, operationName: options.operationName, extensions: options.extensions }));
  const started = performance.now();
  const response = await fetch(target, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit);
  const text = await response.text();
  const ms = performance.now() - started;
  let parsed: HttpResult["body"] = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  const result = { status: response.status, headers: response.headers, ms, text, body: parsed };
  seen.push({ label: options.label ?? query?.slice(0, 60) ?? method, result, variables: options.variables });
  return result;
}

export function codes(result: HttpResult): Array<string | undefined> {
  return (result.body.errors ?? []).map((e) => e.extensions?.code as string | undefined);
}

/** `extensions.code` by JSON of the error's path. */
export function codeAt(result: HttpResult, path: Array<string | number>): string | undefined {
  return (result.body.errors ?? []).find((e) => JSON.stringify(e.path ?? []) === JSON.stringify(path))?.extensions?.code as string | undefined;
}

/** The settings a gateway over `system`'s subgraphs needs, with its own in-memory audit log. */
export function gatewayConfigFor(system: System, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const [name, subgraph] of system.subgraphs) subgraphUrls[name] = subgraph.url;
  const workDir = mkdtempSync(join(tmpdir(), "gateway-security-"));
  return {
    ...readGatewayConfig({}),
    jwks: system.keys.issuerJwks,
    signingKeyPath: system.keys.gatewayPrivate,
    receiptKeyPath: system.keys.receiptPrivate,
    auditPseudonymKeyPath: system.keys.auditPseudonymKey,
    auditDatabase: { kind: "pglite", dataDir: "memory://" },
    auditHeadsPath: join(workDir, "audit-heads.jsonl"),
    port: 0,
    observability: quietObservability("gateway"),
    unauthenticatedRateLimit: GENEROUS_UNAUTHENTICATED_RATE,
    ...overrides,
    subgraphUrls: { ...subgraphUrls, ...overrides.subgraphUrls },
  };
}

/** Starts another gateway over `system`'s running subgraphs; `subgraphUrls` overrides are merged over the real ones. */
export function startExtraGateway(system: System, overrides: Partial<GatewayConfig> = {}): Promise<RunningGateway> {
  return startGateway(gatewayConfigFor(system, overrides));
}

/** An "agency" that accepts every connection and request and never answers. */
export async function startHangingAgency(): Promise<{ url: string; requests: () => number; stop(): Promise<void> }> {
  let requests = 0;
  const held: IncomingMessage[] = [];
  const server: Server = createServer((request) => {
    requests++;
    held.push(request);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests: () => requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * An "agency" that answers every request with a chunked body that never
 * ends, as fast as the client reads it: it counts the bytes it wrote and the
 * connections the client closed on it.
 */
export async function startFloodingAgency(): Promise<{ url: string; bytesWritten: () => number; closed: () => number; stop(): Promise<void> }> {
  let written = 0;
  let closed = 0;
  const server: Server = createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    response.write('{"data":{"_entities":[');
    request.socket.once("close", () => closed++);
    const more = () => {
      if (response.destroyed || request.socket.destroyed) return;
      written += 16_384;
      if (response.write("0".repeat(16_384))) setImmediate(more);
      else response.once("drain", more);
    };
    more();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    bytesWritten: () => written,
    closed: () => closed,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether something listens on host:port (e.g. Redis). */
export function listening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

// eslint-disable-next-line no-control-regex
export const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Problems of one error a client saw: a stack, an exception, an address, a driver message, echoed variables. */
export function leaksOf(
  error: { message: string; extensions?: Record<string, unknown> },
  secrets: readonly string[],
  variables?: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  const text = JSON.stringify(error);
  const extensions = error.extensions ?? {};
  if ("stacktrace" in extensions || /stacktrace/i.test(text)) problems.push("stacktrace");
  if ("exception" in extensions) problems.push("exception");
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|AbortError|fetch failed/i.test(text)) problems.push("driver message");
  if (/"errors"|"data"\s*:/.test(error.message)) problems.push("subgraph response body");
  if (/\bat .+\.(ts|js):\d+/.test(text)) problems.push("stack frame");
  for (const secret of secrets) if (text.includes(secret)) problems.push(`contains ${secret}`);
  for (const value of Object.values(variables ?? {})) {
    for (const leaf of leaves(value)) {
      if (leaf.length >= 8 && (error.message.includes(leaf.slice(0, 16)) || text.includes(JSON.stringify(leaf.slice(0, 16)).slice(1, -1)))) {
        problems.push(`echoes variable ${JSON.stringify(leaf.slice(0, 20))}`);
      }
    }
  }
  return problems;
}

function leaves(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value && typeof value === "object") return Object.values(value).flatMap(leaves);
  return [];
}
