/**
 * How the gateway talks to one agency's subgraph: a RemoteGraphQLDataSource
 * (so @apollo/gateway's executor can use it) whose one path, `send`, is also
 * what the lean executor calls: the gateway's token for this agency, a
 * per-subgraph deadline, no retries, a circuit breaker, and a failed or
 * timed-out fetch turned into errors at the fields it would have filled.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import apolloCacheControl from "@apollo/gateway/dist/datasources/parseCacheControlHeader.js";
import { REQUEST_ID_HEADER } from "../../platform/http/requestId.ts";
import type { Logger } from "../../platform/logging/createLogger.ts";
import { context as otelContext, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Tracing } from "../../platform/observability/createTracing.ts";
import type { Principal } from "../authn/Principal.ts";
import type { GatewayContext } from "../GatewayContext.ts";
import { unavailableResponse } from "./unavailableResponse.ts";
import { createSubgraphFetcher, SubgraphDeadlineError, type SubgraphFetcher, type SubgraphHttpResponse } from "./createSubgraphFetcher.ts";
import type { PlanService, SubgraphRequest } from "../execution/executePlanNodes.ts";

const { parseCacheControlHeader } = apolloCacheControl;
import type { FetchResult } from "../observability/createGatewayMetrics.ts";
import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from "./createCircuitBreaker.ts";

export interface AgencyDataSourceOptions {
  /** The subgraph's name in the supergraph. */
  name: string;
  url: string;
  /** The longest one fetch may take. */
  timeoutMs: number;
  /** The largest answer read from the agency (head and body). @default 32 MiB */
  maxResponseBytes?: number;
  /** Opens after repeated failures so a down agency is not waited for on every request. */
  breaker?: CircuitBreakerOptions;
  /** Signs the gateway's short-lived token for this subgraph. */
  subgraphTokenFor(principal: Principal, subgraphName: string): Promise<string>;
  logger?: Logger;
  /** Told how each fetch ended and how long it took (metrics). */
  onFetch?(subgraph: string, seconds: number, result: FetchResult): void;
  /** A client span per fetch; its `traceparent` goes to the agency. */
  tracing?: Tracing;
}

export class AgencyDataSource extends RemoteGraphQLDataSource implements PlanService {
  readonly name: string;
  private readonly subgraphTokenFor: AgencyDataSourceOptions["subgraphTokenFor"];
  private readonly onFetch: AgencyDataSourceOptions["onFetch"];
  private readonly tracing: Tracing | undefined;
  private readonly logger: AgencyDataSourceOptions["logger"];
  readonly breaker: CircuitBreaker;
  private post: SubgraphFetcher;
  private readonly quotedQueries = new Map<string, string>();

  constructor(options: AgencyDataSourceOptions) {
    super({ url: options.url });
    this.name = options.name;
    this.subgraphTokenFor = options.subgraphTokenFor;
    this.onFetch = options.onFetch;
    this.tracing = options.tracing?.enabled ? options.tracing : undefined;
    const logger = options.logger;
    this.logger = logger;
    this.breaker = createCircuitBreaker({
      ...options.breaker,
      onStateChange: (state) => {
        if (state === "open") logger?.warn({ subgraph: this.name, circuit: state }, "circuit opened: the agency is not called until a trial succeeds");
        else logger?.info({ subgraph: this.name, circuit: state }, `circuit ${state}`);
        options.breaker?.onStateChange?.(state);
      },
    });
    // A lean keep-alive client with a hard deadline per fetch; no retries.
    this.post = createSubgraphFetcher({ timeoutMs: options.timeoutMs, maxResponseBytes: options.maxResponseBytes });
  }

  /** Sends this subgraph's requests with `fetcher` instead (a subgraph this process serves itself). */
  fetchWith(fetcher: SubgraphFetcher): void {
    this.post = fetcher;
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const requestContext = "incomingRequestContext" in options ? options.incomingRequestContext : { context: options.context, overallCachePolicy: undefined };
    return this.send(options.request as SubgraphRequest, requestContext);
  }

  /**
   * One GraphQL request to this agency, for @apollo/gateway's executor
   * (through `process`) and the lean one alike. A failed, refused or
   * timed-out fetch is a response too: SUBGRAPH_UNAVAILABLE at the fields it
   * would have filled, or the agency's own errors when it refused.
   */
  async send(request: SubgraphRequest, requestContext: Pick<GatewayGraphQLRequestContext, "context" | "overallCachePolicy">): Promise<GatewayGraphQLResponse> {
    // Sampled out (or no tracing): no span; the traceparent still says so to the agency.
    if (!this.tracing?.recording()) return this.fetch(request, requestContext);
    const span = this.tracing!.tracer.startSpan(`fetch ${this.name}`, { kind: SpanKind.CLIENT, attributes: { "subgraph.name": this.name } });
    try {
      const response = await otelContext.with(trace.setSpan(otelContext.active(), span), () => this.fetch(request, requestContext));
      if (response.errors?.some((error) => error.extensions?.code === "SUBGRAPH_UNAVAILABLE")) span.setStatus({ code: SpanStatusCode.ERROR, message: "unavailable" });
      return response;
    } finally {
      span.end();
    }
  }

  /**
   * `JSON.stringify({ query, variables, operationName })`, byte for byte, with
   * the quoted query kept per text: a plan sends the same few operation texts
   * to this subgraph on every request, only the variables change.
   */
  private bodyOf(request: SubgraphRequest): string {
    let query = this.quotedQueries.get(request.query);
    if (query === undefined) {
      query = JSON.stringify(request.query);
      if (this.quotedQueries.size >= 1000) this.quotedQueries.clear();
      this.quotedQueries.set(request.query, query);
    }
    const variables = request.variables === undefined ? "" : `,"variables":${JSON.stringify(request.variables)}`;
    const operationName = request.operationName === undefined ? "" : `,"operationName":${JSON.stringify(request.operationName)}`;
    return `{"query":${query}${variables}${operationName}}`;
  }

  private async fetch(request: SubgraphRequest, requestContext: Pick<GatewayGraphQLRequestContext, "context" | "overallCachePolicy">): Promise<GatewayGraphQLResponse> {
    const context = requestContext.context as GatewayContext | undefined;
    const unavailable = () => unavailableResponse(this.name, request.query ?? "", request.variables) as GatewayGraphQLResponse;
    if (!this.breaker.allows()) {
      this.onFetch?.(this.name, 0, "circuit-open");
      return unavailable();
    }
    const started = performance.now();
    const took = () => (performance.now() - started) / 1000;
    try {
      const principal = context?.principal;
      if (!principal) throw new Error("no verified caller"); // never sent: such requests end at the gateway's edge
      context.subgraphsCalled.add(this.name);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        authorization: `Bearer ${await this.subgraphTokenFor(principal, this.name)}`,
        [REQUEST_ID_HEADER]: context.requestId,
      };
      this.tracing?.inject({ set: (name, value) => void (headers[name] = value) });
      if (!request.query) throw new Error("Missing query");
      const answer = await this.post(this.url!, headers, this.bodyOf(request));
      const body = bodyOf(answer);
      if (answer.status < 200 || answer.status >= 300) {
        // The agency answered and refused (e.g. a value its scalars reject): it is up; pass its GraphQL errors on.
        const errors = (body as { errors?: unknown } | null)?.errors;
        if (answer.status < 500 && Array.isArray(errors)) {
          this.breaker.succeeded();
          this.onFetch?.(this.name, took(), "refused");
          return { errors } as GatewayGraphQLResponse;
        }
        throw new Error(`${answer.status}: ${answer.statusText}`);
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error(`Expected JSON response body, but received: ${body}`);
      const response = body as GatewayGraphQLResponse;
      // Agencies report whose data they read or refused (`extensions.citizensRead`): the audit record lists them.
      const read = response.extensions?.citizensRead;
      if (Array.isArray(read) && context.citizensRead) for (const id of read) if (typeof id === "string") context.citizensRead.add(id);
      restrictCachePolicy(requestContext.overallCachePolicy, answer.headers["cache-control"]);
      this.breaker.succeeded();
      this.onFetch?.(this.name, took(), "ok");
      return response;
    } catch (error) {
      this.breaker.failed();
      const result = error instanceof SubgraphDeadlineError ? "timeout" : "error";
      this.onFetch?.(this.name, took(), result);
      // Once, with the request id; the client sees only SUBGRAPH_UNAVAILABLE.
      this.logger?.warn({ requestId: context?.requestId, subgraph: this.name, result, err: error }, "agency fetch failed");
      return unavailable();
    }
  }
}

/** The body as RemoteGraphQLDataSource reads it: JSON for a JSON content type, text otherwise. @throws SyntaxError for malformed JSON */
function bodyOf(answer: SubgraphHttpResponse): unknown {
  const type = answer.headers["content-type"];
  return type && (type.startsWith("application/json") || type.startsWith("application/graphql-response+json")) ? JSON.parse(answer.body) : answer.body;
}

/** What RemoteGraphQLDataSource does with a subgraph's cache-control header: the response is cached no longer than it allows. */
function restrictCachePolicy(policy: GatewayGraphQLRequestContext["overallCachePolicy"], header: string | undefined): void {
  if (!policy || !("restrict" in policy)) return;
  const parsed = parseCacheControlHeader(header);
  const hint: { maxAge: number; scope?: string } = { maxAge: 0 };
  const maxAge = parsed["max-age"];
  if (typeof maxAge === "string" && /^[0-9]+$/.test(maxAge)) hint.maxAge = +maxAge;
  if (parsed["private"] === true) hint.scope = "PRIVATE";
  if (parsed["public"] === true) hint.scope = "PUBLIC";
  policy.restrict(hint);
}
