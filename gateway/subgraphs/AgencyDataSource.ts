/**
 * How the gateway talks to one agency's subgraph: RemoteGraphQLDataSource
 * with a per-subgraph timeout, no retries, and a failed or timed-out fetch
 * turned into errors at the fields it would have filled.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { REQUEST_ID_HEADER } from "../../platform/http/requestId.ts";
import type { Logger } from "../../platform/logging/createLogger.ts";
import { context as otelContext, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Tracing } from "../../platform/observability/createTracing.ts";
import type { Principal } from "../authn/Principal.ts";
import type { GatewayContext } from "../GatewayContext.ts";
import { unavailableResponse } from "./unavailableResponse.ts";
import { createSubgraphFetcher, SubgraphDeadlineError } from "./createSubgraphFetcher.ts";
import type { FetchResult } from "../observability/createGatewayMetrics.ts";
import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from "./createCircuitBreaker.ts";

export interface AgencyDataSourceOptions {
  /** The subgraph's name in the supergraph. */
  name: string;
  url: string;
  /** The longest one fetch may take. */
  timeoutMs: number;
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

/** A subgraph's answer that is not 2xx, with its GraphQL body: the agency is up and refused the request. */
interface RefusalError {
  extensions?: { response?: { status?: number; body?: { errors?: unknown[] } } };
}

export class AgencyDataSource extends RemoteGraphQLDataSource {
  readonly name: string;
  private readonly subgraphTokenFor: AgencyDataSourceOptions["subgraphTokenFor"];
  private readonly onFetch: AgencyDataSourceOptions["onFetch"];
  private readonly tracing: Tracing | undefined;
  private readonly logger: AgencyDataSourceOptions["logger"];
  readonly breaker: CircuitBreaker;

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
    this.fetcher = createSubgraphFetcher({ timeoutMs: options.timeoutMs }) as unknown as typeof this.fetcher;
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const principal = options.context?.principal;
    if (!principal) throw new Error("no verified caller"); // never sent: such requests end at the gateway's edge
    options.context.subgraphsCalled.add(this.name);
    options.request.http!.headers.set("authorization", `Bearer ${await this.subgraphTokenFor(principal, this.name)}`);
    options.request.http!.headers.set(REQUEST_ID_HEADER, options.context.requestId);
    this.tracing?.inject(options.request.http!.headers);
  }

  /** Agencies report whose data they read or refused (`extensions.citizensRead`): the audit record lists them. */
  override async didReceiveResponse({ response, context }: { response: GatewayGraphQLResponse; context: Record<string, any> }) {
    const read = response.extensions?.citizensRead;
    const citizensRead = (context as GatewayContext).citizensRead;
    if (Array.isArray(read) && citizensRead) for (const id of read) if (typeof id === "string") citizensRead.add(id);
    return response;
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    // Sampled out (or no tracing): no span; the traceparent still says so to the agency.
    if (!this.tracing?.recording()) return this.fetch(options);
    const span = this.tracing!.tracer.startSpan(`fetch ${this.name}`, { kind: SpanKind.CLIENT, attributes: { "subgraph.name": this.name } });
    try {
      const response = await otelContext.with(trace.setSpan(otelContext.active(), span), () => this.fetch(options));
      if (response.errors?.some((error) => error.extensions?.code === "SUBGRAPH_UNAVAILABLE")) span.setStatus({ code: SpanStatusCode.ERROR, message: "unavailable" });
      return response;
    } finally {
      span.end();
    }
  }

  private async fetch(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const unavailable = () => unavailableResponse(this.name, options.request.query ?? "", options.request.variables) as GatewayGraphQLResponse;
    if (!this.breaker.allows()) {
      this.onFetch?.(this.name, 0, "circuit-open");
      return unavailable();
    }
    const started = performance.now();
    const took = () => (performance.now() - started) / 1000;
    try {
      const response = await super.process(options);
      this.breaker.succeeded();
      this.onFetch?.(this.name, took(), "ok");
      return response;
    } catch (error) {
      // The agency answered and refused (e.g. a value its scalars reject): it is up; pass its GraphQL errors on.
      const response = (error as RefusalError).extensions?.response;
      if (response?.status && response.status < 500 && Array.isArray(response.body?.errors)) {
        this.breaker.succeeded();
        this.onFetch?.(this.name, took(), "refused");
        return { errors: response.body.errors } as GatewayGraphQLResponse;
      }
      this.breaker.failed();
      const result = error instanceof SubgraphDeadlineError ? "timeout" : "error";
      this.onFetch?.(this.name, took(), result);
      // Once, with the request id; the client sees only SUBGRAPH_UNAVAILABLE.
      this.logger?.warn({ requestId: (options.context as GatewayContext | undefined)?.requestId, subgraph: this.name, result, err: error }, "agency fetch failed");
      return unavailable();
    }
  }
}
