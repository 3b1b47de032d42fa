/**
 * Builds the gateway: @apollo/gateway over the static supergraph file (no
 * runtime introspection of subgraphs) on Apollo Server 5, behind the lean
 * HTTP server. `startGateway` listens; gateway/main.ts is the process entry.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { createGraphQLHttpServer, listen } from "../platform/http/createGraphQLHttpServer.ts";
import { normalizeError } from "../platform/normalizeError.ts";
import type { GatewayConfig } from "./config.ts";
import { AgencyDataSource } from "./subgraphs/AgencyDataSource.ts";
import { prepareSupergraphForGateway } from "./supergraph/prepareSupergraphForGateway.ts";
import { subgraphUrlsOf } from "./supergraph/subgraphUrlsOf.ts";

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Subgraph URLs in use, by name. */
  subgraphUrls: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** Builds the gateway's HTTP server (not listening yet). */
export async function createGateway(config: GatewayConfig): Promise<{ http: Server; apollo: ApolloServer; subgraphUrls: Record<string, string> }> {
  const supergraphSdl = readFileSync(config.supergraphPath, "utf8");
  const subgraphUrls = { ...subgraphUrlsOf(supergraphSdl), ...config.subgraphUrls };
  const gateway = new ApolloGateway({
    supergraphSdl: prepareSupergraphForGateway(supergraphSdl),
    buildService: ({ name }) => new AgencyDataSource({ name, url: subgraphUrls[name]!, timeoutMs: config.subgraphTimeoutMs }),
  });
  const apollo = new ApolloServer({
    gateway,
    introspection: false,
    includeStacktraceInErrorResponses: false,
    formatError: normalizeError,
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  const http = createGraphQLHttpServer({
    apollo,
    context: async () => ({}),
    maxBodyBytes: config.maxBodyBytes,
    headers: { "cache-control": "no-store" },
    routes: {
      "/health": (_request, response) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ status: "ok", service: "gateway" }));
      },
    },
  });
  return { http, apollo, subgraphUrls };
}

/** Builds the gateway and listens on `config.host:config.port`. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const { http, apollo, subgraphUrls } = await createGateway(config);
  const url = await listen(http, config.port, config.host);
  return {
    url,
    subgraphUrls,
    stop: async () => {
      http.closeIdleConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await apollo.stop();
    },
  };
}
