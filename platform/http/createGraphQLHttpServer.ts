/**
 * A lean node:http server in front of an Apollo Server: reads a bounded body,
 * hands the request to `executeHTTPGraphQLRequest`, and serves a few plain
 * routes (health). No framework: the request path stays short and measurable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { ErrorCode } from "../errors.ts";
import type { Logger } from "../logging/createLogger.ts";
import { assignRequestId, REQUEST_ID_HEADER } from "./requestId.ts";
import { context as otelContext, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Tracing } from "../observability/createTracing.ts";
import type { CorsPolicy } from "./createCorsPolicy.ts";

/** A plain route: writes the whole response itself. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface GraphQLHttpServerOptions<Context extends BaseContext> {
  apollo: ApolloServer<Context>;
  /** Builds the per-request context; a thrown error with `status` and `body` is sent as is. */
  context: (request: IncomingMessage) => Promise<Context>;
  /** Where GraphQL is served. @default "/graphql" */
  graphqlPath?: string;
  /** Largest accepted request body. @default 1_048_576 */
  maxBodyBytes?: number;
  /** Plain routes by exact path, e.g. `/health`. */
  routes?: Record<string, RouteHandler>;
  /** Headers added to every response. */
  headers?: Record<string, string>;
  /** CORS for browser apps on other origins; it answers preflights before anything else runs. @default none: no CORS headers, OPTIONS answered 204 */
  cors?: CorsPolicy;
  /**
   * Called before a request is refused without running GraphQL (401, 413,
   * malformed body), e.g. to record it; if it throws, the answer is 503.
   */
  beforeRefusal?: (request: IncomingMessage, error: HttpError, startedAtMonotonic: number) => Promise<void>;
  /**
   * Called with Apollo's answer before it is sent (e.g. to record what Apollo
   * refused before any plugin ran: CSRF, batches, a malformed body); if it
   * throws, the answer is 503.
   */
  beforeResponse?: (request: IncomingMessage, context: Context, answer: { status: number; body: string | undefined }, startedAtMonotonic: number) => Promise<void>;
  /** Logs unexpected errors (with their stack) and one line per request. */
  logger?: Logger;
  /** The level of the one line per request. @default "info" */
  accessLogLevel?: "info" | "debug" | "off";
  /** Take the caller's `x-request-id` (a subgraph behind the gateway) instead of making one. @default false */
  trustRequestId?: boolean;
  /** Told of every response once it is sent (metrics). */
  onResponse?(status: number, seconds: number): void;
  /** One server span per request, continuing the caller's `traceparent`. */
  tracing?: Tracing;
}

/**
 * Accept headers for which Apollo Server chooses exactly what it chooses
 * without one (a JSON response; no HTML page, no multipart): they are not
 * passed on, so it does not parse them with Negotiator on every request.
 */
const ACCEPT_SAME_AS_NONE: ReadonlySet<string> = new Set(["application/json", "*/*"]);

/** An error the context function throws to answer without running GraphQL. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** What the server knew of the caller when refusing (for its records, never sent). */
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

/** Creates (does not start) the HTTP server. */
export function createGraphQLHttpServer<Context extends BaseContext>(options: GraphQLHttpServerOptions<Context>): Server {
  const server = createServer(createGraphQLRequestHandler(options));
  server.keepAliveTimeout = 65_000;
  // A request Node's parser refuses (headers over the size limit: 431, malformed: 400) never reaches
  // the handler; it is still answered in JSON and told to beforeRefusal.
  const refused = new WeakSet<object>();
  server.on("clientError", (error: Error & { code?: string }, socket) => {
    if (refused.has(socket)) return; // the parser may complain again while the refusal is recorded
    refused.add(socket);
    if (!error.code?.startsWith("HPE_") || !socket.writable) return void socket.destroy();
    const refusal =
      error.code === "HPE_HEADER_OVERFLOW"
        ? new HttpError(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "Request header fields too large")
        : new HttpError(400, "BAD_REQUEST", "Malformed HTTP request");
    const startedAtMonotonic = performance.now();
    const request = { socket, headers: {}, method: undefined, url: undefined } as unknown as IncomingMessage;
    void (options.beforeRefusal?.(request, refusal, startedAtMonotonic) ?? Promise.resolve()).then(
      () => writeRawError(socket, refusal),
      () => writeRawError(socket, new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, "Service unavailable")),
    );
  });
  return server;
}

function writeRawError(socket: import("node:stream").Duplex, error: HttpError): void {
  if (!socket.writable) return;
  const body = JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] });
  const reason = error.status === 431 ? "Request Header Fields Too Large" : error.status === 503 ? "Service Unavailable" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${error.status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** The request listener alone, to serve GraphQL under a route of another server. */
export function createGraphQLRequestHandler<Context extends BaseContext>(
  options: GraphQLHttpServerOptions<Context>,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const graphqlPath = options.graphqlPath ?? "/graphql";
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const extraHeaders = Object.entries(options.headers ?? {});
  const logger = options.logger;
  const accessLogLevel = options.accessLogLevel ?? "info";
  const trustRequestId = options.trustRequestId ?? false;
  const tracing = options.tracing?.enabled ? options.tracing : undefined;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const startedAtMonotonic = performance.now();
    const requestId = assignRequestId(request, trustRequestId);
    response.setHeader(REQUEST_ID_HEADER, requestId);
    for (const [name, value] of extraHeaders) response.setHeader(name, value);
    if (options.onResponse) {
      const onResponse = options.onResponse;
      response.once("finish", () => onResponse(response.statusCode, (performance.now() - startedAtMonotonic) / 1000));
    }
    if (accessLogLevel !== "off" && logger?.isLevelEnabled(accessLogLevel)) {
      response.once("finish", () =>
        logger[accessLogLevel](
          { requestId, method: request.method, path: request.url?.split("?")[0], status: response.statusCode, ms: Math.round(performance.now() - startedAtMonotonic) },
          "request",
        ),
      );
    }
    // Before the token check and the rate limit: a browser's preflight carries no credentials.
    if (options.cors?.handle(request, response)) return;
    if (request.method === "OPTIONS") {
      response.statusCode = 204;
      response.setHeader("allow", "GET, POST, OPTIONS");
      return void response.end();
    }
    try {
      // The GraphQL path as is (nearly every request) needs no URL parser.
      const url = request.url === graphqlPath ? { pathname: graphqlPath, search: "" } : new URL(request.url ?? "/", "http://localhost");
      const route = options.routes?.[url.pathname];
      if (route) return await route(request, response);
      if (url.pathname !== graphqlPath) return sendError(response, new HttpError(404, "NOT_FOUND", "Not found"));
      if (request.method !== "GET" && request.method !== "POST") {
        request.resume();
        throw new HttpError(405, "BAD_REQUEST", "GraphQL is served over GET and POST", { allow: "GET, POST" });
      }
      const body = await readBody(request, maxBodyBytes);
      const headers = new HeaderMap();
      for (const name in request.headers) {
        const value = request.headers[name];
        if (value === undefined || (name === "accept" && ACCEPT_SAME_AS_NONE.has(value as string))) continue;
        headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const context = await options.context(request);
      const result = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method ?? "GET", headers, search: url.search, body: parseBody(headers, body) },
        context: async () => context,
      });
      if (options.beforeResponse) {
        const answer = { status: result.status ?? 200, body: result.body.kind === "complete" ? result.body.string : undefined };
        try {
          await options.beforeResponse(request, context, answer, startedAtMonotonic);
        } catch (recordError) {
          logger?.error({ err: recordError, requestId }, "could not record a refused request; answering 503");
          return sendError(response, new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, "Service unavailable", { "retry-after": "5" }));
        }
      }
      response.statusCode = result.status ?? 200;
      for (const [name, value] of result.headers) {
        // Keep what was already said to vary by (CORS: Origin).
        const varies = name === "vary" ? response.getHeader("vary") : undefined;
        response.setHeader(name, varies ? `${String(varies)}, ${value}` : value);
      }
      if (result.body.kind === "complete") {
        response.end(result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) response.write(chunk);
        response.end();
      }
    } catch (error) {
      if (!(error instanceof HttpError)) logger?.error({ err: error, requestId }, "request failed");
      const refusal = error instanceof HttpError ? error : new HttpError(500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
      try {
        await options.beforeRefusal?.(request, refusal, startedAtMonotonic);
      } catch (recordError) {
        logger?.error({ err: recordError, requestId }, "could not record a refused request; answering 503");
        return sendError(response, new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, "Service unavailable", { "retry-after": "5" }));
      }
      sendError(response, refusal);
    }
  };
  if (!tracing) return handle;
  return (request, response) => {
    const parent = tracing.extract(request.headers);
    const path = request.url?.split("?")[0] ?? "/";
    const span = tracing.tracer.startSpan(`${request.method ?? "GET"} ${path}`, {
      kind: SpanKind.SERVER,
      attributes: { "http.request.method": request.method ?? "GET", "url.path": path },
    }, parent);
    response.once("close", () => {
      span.setAttribute("http.response.status_code", response.statusCode);
      const requestId = response.getHeader(REQUEST_ID_HEADER);
      if (typeof requestId === "string") span.setAttribute("request.id", requestId);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    return otelContext.with(trace.setSpan(parent, span), () => handle(request, response));
  };
}

/** Starts listening; resolves with the bound URL of the GraphQL endpoint. */
export async function listen(server: Server, port: number, host: string, path = "/graphql"): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${host}:${address.port}${path}`;
}

function sendError(response: ServerResponse, error: HttpError): void {
  if (response.headersSent) return void response.end();
  response.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  response.setHeader("content-type", "application/json; charset=utf-8");
  response.end(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }));
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limit) {
    request.resume(); // drain and discard, so the connection stays usable
    return Promise.reject(new HttpError(413, "PAYLOAD_TOO_LARGE", "Request body too large"));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop keeping it, but keep reading it: the socket survives to carry the 413.
        request.off("data", onData);
        request.resume();
        reject(new HttpError(413, "PAYLOAD_TOO_LARGE", "Request body too large"));
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.once("error", reject);
  });
}

function parseBody(headers: HeaderMap, body: string): unknown {
  if (body === "") return undefined;
  const type = headers.get("content-type") ?? "";
  if (!type.startsWith("application/json") && !type.includes("+json")) return body;
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError(400, "BAD_REQUEST", "Request body is not valid JSON");
  }
}
