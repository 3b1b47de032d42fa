/**
 * The gateway's HTTP client for subgraph fetches: one POST with one timer as
 * its deadline, nothing retried. Plain-HTTP agencies go through the pooled
 * keep-alive client of createHttp1ConnectionPool.ts (no ClientRequest,
 * IncomingMessage, streams or WHATWG objects per fetch); HTTPS agencies
 * through node:https with a keep-alive agent. Each subgraph URL is parsed
 * once.
 */
import type { IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createHttp1ConnectionPool, type Http1Target } from "./createHttp1ConnectionPool.ts";

/** The fetch did not finish within its deadline (counted apart from other failures). */
export class SubgraphDeadlineError extends Error {
  constructor() {
    super("subgraph deadline exceeded");
    this.name = "SubgraphDeadlineError";
  }
}

/** The subgraph's answer was larger than the gateway reads (its connection is closed). */
export class SubgraphResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`subgraph response larger than ${limit} bytes`);
    this.name = "SubgraphResponseTooLargeError";
  }
}

export interface SubgraphFetcherOptions {
  /** The whole fetch (waiting for a connection, send, receive) must finish within this. */
  timeoutMs: number;
  /** Open connections per subgraph host. @default 256 */
  maxSockets?: number;
  /** The largest response read, head and body together. @default 32 MiB */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_SUBGRAPH_RESPONSE_BYTES = 32 * 1_048_576;

/** A subgraph's HTTP answer, whatever its status. */
export interface SubgraphHttpResponse {
  status: number;
  statusText: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
}

/** POSTs `body` to `url` with `headers` (content-length, host and connection are added). */
export type SubgraphFetcher = (url: string, headers: Record<string, string>, body: string) => Promise<SubgraphHttpResponse>;

interface Target extends Http1Target {
  secure: boolean;
}

function targetOf(url: string): Target {
  const parsed = new URL(url);
  const secure = parsed.protocol === "https:";
  return {
    secure,
    // [::1] as a URL host, ::1 as a socket address.
    hostname: parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname,
    port: Number(parsed.port || (secure ? 443 : 80)),
    host: parsed.host,
    path: parsed.pathname + parsed.search,
  };
}

function joined(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const name in headers) {
    const value = headers[name];
    result[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return result;
}

export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const maxSockets = options.maxSockets ?? 256;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_SUBGRAPH_RESPONSE_BYTES;
  const pool = createHttp1ConnectionPool({ maxSockets, maxResponseBytes, tooLarge: () => new SubgraphResponseTooLargeError(maxResponseBytes) });
  let httpsAgent: HttpsAgent | undefined;
  let lastUrl = "";
  let lastTarget: Target | undefined;

  const postHttps = (target: Target, headers: Record<string, string>, body: string) =>
    new Promise<SubgraphHttpResponse>((resolve, reject) => {
      httpsAgent ??= new HttpsAgent({ keepAlive: true, maxSockets, keepAliveMsecs: 30_000 });
      const request = httpsRequest({
        method: "POST",
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        agent: httpsAgent,
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
      });
      request.once("response", (response) => {
        const chunks: Buffer[] = [];
        let received = 0;
        response.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxResponseBytes) request.destroy(new SubgraphResponseTooLargeError(maxResponseBytes));
          else chunks.push(chunk);
        });
        response.once("error", fail);
        response.once("end", () => {
          clearTimeout(deadline);
          resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? "", headers: joined(response.headers), body: Buffer.concat(chunks).toString("utf8") });
        });
      });
      function fail(error: Error) {
        clearTimeout(deadline);
        reject(error);
      }
      const deadline = setTimeout(() => request.destroy(new SubgraphDeadlineError()), options.timeoutMs);
      request.once("error", fail);
      request.end(body);
    });

  return async (url, headers, body) => {
    if (url !== lastUrl || !lastTarget) {
      lastTarget = targetOf(url);
      lastUrl = url;
    }
    const target = lastTarget;
    if (target.secure) return postHttps(target, headers, body);
    let deadline: NodeJS.Timeout | undefined;
    try {
      return await pool.post(target, headers, body, (abort) => {
        deadline = setTimeout(() => abort(new SubgraphDeadlineError()), options.timeoutMs);
      });
    } finally {
      clearTimeout(deadline);
    }
  };
}
