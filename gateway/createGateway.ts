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
import { Supergraph } from "@apollo/federation-internals";
import { parse } from "graphql";
import { ErrorCode } from "../platform/errors.ts";
import { readAccessRequirements } from "../platform/security/accessRequirements.ts";
import { loadSigningKey } from "../platform/security/keys.ts";
import { HttpError } from "../platform/http/createGraphQLHttpServer.ts";
import { AuthenticationError, createAppTokenVerifier } from "./authn/createAppTokenVerifier.ts";
import { authorizationPlugin } from "./authz/authorizationPlugin.ts";
import { createOperationAuthorizer } from "./authz/createOperationAuthorizer.ts";
import type { GatewayContext } from "./GatewayContext.ts";
import { createSubgraphTokenSigner } from "./subgraphs/createSubgraphTokenSigner.ts";
import { withStandardScalars } from "./supergraph/withStandardScalars.ts";
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
export async function createGateway(
  config: GatewayConfig,
): Promise<{ http: Server; apollo: ApolloServer<GatewayContext>; subgraphUrls: Record<string, string> }> {
  const supergraphSdl = readFileSync(config.supergraphPath, "utf8");
  const subgraphUrls = { ...subgraphUrlsOf(supergraphSdl), ...config.subgraphUrls };
  const gatewaySdl = prepareSupergraphForGateway(supergraphSdl);
  const verifyToken = createAppTokenVerifier({
    jwks: config.jwks,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    clockToleranceSeconds: config.clockToleranceSeconds,
  });
  const subgraphTokenFor = createSubgraphTokenSigner({ key: await loadSigningKey(config.signingKeyPath) });
  const apiSchema = Supergraph.build(gatewaySdl).apiSchema().toGraphQLJSSchema();
  withStandardScalars(apiSchema);
  const authorize = createOperationAuthorizer({
    schema: apiSchema,
    requirements: readAccessRequirements(parse(supergraphSdl)),
  });
  const gateway = new ApolloGateway({
    supergraphSdl: gatewaySdl,
    buildService: ({ name }) =>
      new AgencyDataSource({ name, url: subgraphUrls[name]!, timeoutMs: config.subgraphTimeoutMs, subgraphTokenFor }),
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: false,
    persistedQueries: false,
    includeStacktraceInErrorResponses: false,
    formatError: normalizeError,
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), authorizationPlugin({ authorize, mode: config.authorizationMode })],
  });
  await apollo.start();
  const http = createGraphQLHttpServer({
    apollo,
    context: async (request) => {
      try {
        return { principal: await verifyToken(request.headers.authorization) };
      } catch (error) {
        const reason = error instanceof AuthenticationError ? error.reason : "invalid token";
        throw new HttpError(401, ErrorCode.UNAUTHENTICATED, `Unauthenticated: ${reason}`, { "www-authenticate": "Bearer" });
      }
    },
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
