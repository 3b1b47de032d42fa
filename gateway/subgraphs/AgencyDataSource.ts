/**
 * How the gateway talks to one agency's subgraph: RemoteGraphQLDataSource
 * with a per-subgraph timeout, no retries, and a failed or timed-out fetch
 * turned into errors at the fields it would have filled.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { unavailableResponse } from "./unavailableResponse.ts";

export interface AgencyDataSourceOptions {
  /** The subgraph's name in the supergraph. */
  name: string;
  url: string;
  /** The longest one fetch may take. */
  timeoutMs: number;
}

export class AgencyDataSource extends RemoteGraphQLDataSource {
  readonly name: string;

  constructor(options: AgencyDataSourceOptions) {
    super({ url: options.url });
    this.name = options.name;
    // Node's own fetch (undici): pooled keep-alive connections, no retries, a hard deadline per fetch.
    const timeoutMs = options.timeoutMs;
    this.fetcher = ((url: string, init: RequestInit) =>
      fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as typeof this.fetcher;
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch {
      return unavailableResponse(this.name, options.request.query ?? "", options.request.variables) as GatewayGraphQLResponse;
    }
  }
}
