/**
 * The gateway's HTTP client for subgraph fetches: one POST over pooled
 * keep-alive node:http connections, with one timer per fetch as its
 * deadline. It hands back the status, headers and body text and nothing
 * more: no WHATWG Request/Response/Headers objects, streams or AbortSignal
 * per fetch (with Node's fetch those were a third of the gateway's CPU), and
 * each subgraph URL is parsed once.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** The fetch did not finish within its deadline (counted apart from other failures). */
export class SubgraphDeadlineError extends Error {
  constructor() {
    super("subgraph deadline exceeded");
    this.name = "SubgraphDeadlineError";
  }
}

export interface SubgraphFetcherOptions {
  /** The whole fetch (connect, send, receive) must finish within this. */
  timeoutMs: number;
  /** Open connections per subgraph host. @default 256 */
  maxSockets?: number;
}

/** A subgraph's HTTP answer, whatever its status. */
export interface SubgraphHttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** POSTs `body` to `url` with `headers` (content-length is added). */
export type SubgraphFetcher = (url: string, headers: OutgoingHttpHeaders, body: string) => Promise<SubgraphHttpResponse>;

interface Target {
  secure: boolean;
  hostname: string;
  port: string;
  path: string;
}

function targetOf(url: string): Target {
  const parsed = new URL(url);
  return {
    secure: parsed.protocol === "https:",
    // [::1] as a URL host, ::1 as a socket address.
    hostname: parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname,
    port: parsed.port,
    path: parsed.pathname + parsed.search,
  };
}

export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const maxSockets = options.maxSockets ?? 256;
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets, keepAliveMsecs: 30_000 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets, keepAliveMsecs: 30_000 });
  let lastUrl = "";
  let lastTarget: Target | undefined;
  return (url, headers, body) =>
    new Promise<SubgraphHttpResponse>((resolve, reject) => {
      if (url !== lastUrl || !lastTarget) {
        lastTarget = targetOf(url);
        lastUrl = url;
      }
      const target = lastTarget;
      headers["content-length"] = Buffer.byteLength(body);
      const request = (target.secure ? httpsRequest : httpRequest)({
        method: "POST",
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        agent: target.secure ? httpsAgent : httpAgent,
        headers,
      });
      request.once("response", (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.once("error", fail);
        response.once("end", () => {
          clearTimeout(deadline);
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? "",
            headers: response.headers,
            body: chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"),
          });
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
}
