/**
 * How the gateway talks to one agency's subgraph: RemoteGraphQLDataSource
 * with a per-subgraph timeout, no retries, and a failed or timed-out fetch
 * turned into errors at the fields it would have filled.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { REQUEST_ID_HEADER } from "../../platform/http/requestId.ts";
import type { Logger } from "../../platform/logging/createLogger.ts";
import type { Principal } from "../authn/Principal.ts";
import type { GatewayContext } from "../GatewayContext.ts";
import { unavailableResponse } from "./unavailableResponse.ts";
import { createSubgraphFetcher } from "./createSubgraphFetcher.ts";
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
}

/** A subgraph's answer that is not 2xx, with its GraphQL body: the agency is up and refused the request. */
interface RefusalError {
  extensions?: { response?: { status?: number; body?: { errors?: unknown[] } } };
}

export class AgencyDataSource extends RemoteGraphQLDataSource {
  readonly name: string;
  private readonly subgraphTokenFor: AgencyDataSourceOptions["subgraphTokenFor"];
  readonly breaker: CircuitBreaker;

  constructor(options: AgencyDataSourceOptions) {
    super({ url: options.url });
    this.name = options.name;
    this.subgraphTokenFor = options.subgraphTokenFor;
    const logger = options.logger;
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
  }

  /** Agencies report whose data they read or refused (`extensions.citizensRead`): the audit record lists them. */
  override async didReceiveResponse({ response, context }: { response: GatewayGraphQLResponse; context: Record<string, any> }) {
    const read = response.extensions?.citizensRead;
    const citizensRead = (context as GatewayContext).citizensRead;
    if (Array.isArray(read) && citizensRead) for (const id of read) if (typeof id === "string") citizensRead.add(id);
    return response;
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const unavailable = () => unavailableResponse(this.name, options.request.query ?? "", options.request.variables) as GatewayGraphQLResponse;
    if (!this.breaker.allows()) return unavailable();
    try {
      const response = await super.process(options);
      this.breaker.succeeded();
      return response;
    } catch (error) {
      // The agency answered and refused (e.g. a value its scalars reject): it is up; pass its GraphQL errors on.
      const response = (error as RefusalError).extensions?.response;
      if (response?.status && response.status < 500 && Array.isArray(response.body?.errors)) {
        this.breaker.succeeded();
        return { errors: response.body.errors } as GatewayGraphQLResponse;
      }
      this.breaker.failed();
      return unavailable();
    }
  }
}
