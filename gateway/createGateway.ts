/**
 * Builds the gateway: @apollo/gateway over the static supergraph file (no
 * runtime introspection of subgraphs) on Apollo Server 5, behind the lean
 * HTTP server, with its plugins in request order: audit (records every
 * request, releases nothing before the commit), guard (safelists, shape
 * limits), authorization (field permissions), schema disclosure, armor.
 * `startGateway` listens; gateway/main.ts is the process entry.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { Supergraph } from "@apollo/federation-internals";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { parse } from "graphql";
import { createGraphQLHttpServer, listen } from "../platform/http/createGraphQLHttpServer.ts";
import { normalizeError } from "../platform/normalizeError.ts";
import { readAccessRequirements } from "../platform/security/accessRequirements.ts";
import { loadSigningKey, publicJwksOfPrivateKey } from "../platform/security/keys.ts";
import { auditPlugin } from "./audit/auditPlugin.ts";
import { openAuditLog, type AuditLog } from "./audit/openAuditLog.ts";
import { refusalAuditEntry } from "./audit/refusalAuditEntry.ts";
import { startChainHeadSigning } from "./audit/startChainHeadSigning.ts";
import { AUDIT_SUBGRAPH, AUDIT_SUBGRAPH_PATH, createAuditSubgraph } from "./audit/subgraph/createAuditSubgraph.ts";
import { auditPageRoutes } from "./auditPage/auditPageRoutes.ts";
import { createAppTokenVerifier } from "./authn/createAppTokenVerifier.ts";
import { authorizationPlugin } from "./authz/authorizationPlugin.ts";
import { createOperationAuthorizer } from "./authz/createOperationAuthorizer.ts";
import type { GatewayConfig } from "./config.ts";
import { createRequestContext } from "./createRequestContext.ts";
import type { GatewayContext } from "./GatewayContext.ts";
import { loadAppRegistry } from "./guard/appRegistry.ts";
import { createArmor } from "./guard/createArmor.ts";
import { createMemoryRateLimiter, createRedisRateLimiter } from "./guard/createRateLimiter.ts";
import { guardPlugin } from "./guard/guardPlugin.ts";
import { openGovernance, type OpenGovernance } from "./governance/openGovernance.ts";
import { GOVERNANCE_SUBGRAPH, GOVERNANCE_SUBGRAPH_PATH } from "./governance/subgraph/createGovernanceSubgraph.ts";
import { governancePageRoutes } from "./governancePages/governancePageRoutes.ts";
import { schemaDisclosurePlugin } from "./guard/schemaDisclosurePlugin.ts";
import { AgencyDataSource } from "./subgraphs/AgencyDataSource.ts";
import { createSubgraphTokenSigner } from "./subgraphs/createSubgraphTokenSigner.ts";
import { prepareSupergraphForGateway } from "./supergraph/prepareSupergraphForGateway.ts";
import { subgraphUrlsOf } from "./supergraph/subgraphUrlsOf.ts";
import { withStandardScalars } from "./supergraph/withStandardScalars.ts";

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Subgraph URLs in use, by name. */
  subgraphUrls: Readonly<Record<string, string>>;
  audit: AuditLog;
  governance: OpenGovernance;
  stop(): Promise<void>;
}

export interface Gateway {
  http: Server;
  apollo: ApolloServer<GatewayContext>;
  subgraphUrls: Record<string, string>;
  audit: AuditLog;
  governance: OpenGovernance;
  /** Points the audit subgraph's data source at this gateway's own address, unless configured elsewhere. */
  useOwnAddress(graphqlUrl: string): void;
  /** Stops everything but the HTTP server and Apollo, flushing the audit log. */
  stopServices(): Promise<void>;
}

/** Builds the gateway's HTTP server (not listening yet). */
export async function createGateway(config: GatewayConfig): Promise<Gateway> {
  const supergraphSdl = readFileSync(config.supergraphPath, "utf8");
  const gatewaySdl = prepareSupergraphForGateway(supergraphSdl);
  const subgraphUrls = { ...subgraphUrlsOf(supergraphSdl), ...config.subgraphUrls };
  const gatewayKey = await loadSigningKey(config.signingKeyPath);
  const gatewayJwks = publicJwksOfPrivateKey(config.signingKeyPath);

  const audit = await openAuditLog(config);
  const auditSubgraph = await createAuditSubgraph({ audit, gatewayJwks, headsPath: config.auditHeadsPath });
  const governance = await openGovernance({ supergraphSdl, audit, gatewayJwks, config });
  const headSigning = startChainHeadSigning({
    prisma: audit.database.prisma,
    key: gatewayKey,
    path: config.auditHeadsPath,
    intervalMs: config.auditHeadIntervalMs,
  });

  const apiSchema = Supergraph.build(gatewaySdl).apiSchema().toGraphQLJSSchema();
  withStandardScalars(apiSchema);
  const authorize = createOperationAuthorizer({ schema: apiSchema, requirements: readAccessRequirements(parse(supergraphSdl)) });
  const registry = loadAppRegistry(config.appRegistryPath);
  const rateLimiter = config.redisUrl ? createRedisRateLimiter(config.redisUrl) : createMemoryRateLimiter();
  const armor = createArmor<GatewayContext>(config.limits);

  const subgraphTokenFor = createSubgraphTokenSigner({ key: gatewayKey });
  const dataSources = new Map<string, AgencyDataSource>();
  const gateway = new ApolloGateway({
    supergraphSdl: gatewaySdl,
    buildService: ({ name }) => {
      const source = new AgencyDataSource({
        name,
        url: subgraphUrls[name]!,
        timeoutMs: config.subgraphTimeoutMs,
        breaker: { failureThreshold: config.circuitFailureThreshold, resetMs: config.circuitResetMs },
        subgraphTokenFor,
      });
      dataSources.set(name, source);
      return source;
    },
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Introspection is authorized per caller (schema:introspect) by the authorization plugin.
    introspection: true,
    // Registered operations come from the app registry (guardPlugin), never from clients.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.limits.maxTokens },
    validationRules: armor.validationRules,
    includeStacktraceInErrorResponses: false,
    formatError: normalizeError,
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // First: it hashes the operation as the app sent it; its response hook waits for the commit.
      auditPlugin({ writer: audit.writer, pseudonymize: audit.pseudonymize }),
      guardPlugin({ registry, limits: config.limits }),
      authorizationPlugin({ authorize, mode: config.authorizationMode }),
      schemaDisclosurePlugin(),
      ...armor.plugins,
    ],
  });
  await apollo.start();

  const verifyToken = createAppTokenVerifier({
    jwks: config.jwks,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    clockToleranceSeconds: config.clockToleranceSeconds,
  });
  const http = createGraphQLHttpServer({
    apollo,
    context: createRequestContext({ verifyToken, rateLimiter, registry, defaultRateLimit: config.rateLimit, govern: governance.govern }),
    maxBodyBytes: config.maxBodyBytes,
    // Requests refused before GraphQL runs are accounted for too.
    beforeRefusal: (request, error, startedAtMonotonic) => audit.writer.write(refusalAuditEntry(request, error, startedAtMonotonic)),
    headers: { "cache-control": "no-store" },
    routes: {
      "/health": (_request, response) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ status: "ok", service: "gateway" }));
      },
      [AUDIT_SUBGRAPH_PATH]: auditSubgraph.handleRequest,
      [GOVERNANCE_SUBGRAPH_PATH]: governance.subgraph.handleRequest,
      ...auditPageRoutes(),
      ...governancePageRoutes(),
    },
  });

  return {
    http,
    apollo,
    subgraphUrls,
    audit,
    governance,
    useOwnAddress: (graphqlUrl) => {
      for (const [name, path] of [[AUDIT_SUBGRAPH, AUDIT_SUBGRAPH_PATH], [GOVERNANCE_SUBGRAPH, GOVERNANCE_SUBGRAPH_PATH]] as const) {
        const source = dataSources.get(name);
        if (source && !config.subgraphUrls[name]) source.url = new URL(path, graphqlUrl).toString();
      }
    },
    stopServices: async () => {
      await rateLimiter.close();
      await auditSubgraph.stop();
      await governance.stop();
      await audit.writer.drain();
      await headSigning.stop();
      await audit.database.close();
    },
  };
}

/** Builds the gateway and listens on `config.host:config.port`. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const gateway = await createGateway(config);
  const url = await listen(gateway.http, config.port, config.host);
  gateway.useOwnAddress(url);
  return {
    url,
    subgraphUrls: gateway.subgraphUrls,
    audit: gateway.audit,
    governance: gateway.governance,
    stop: async () => {
      gateway.http.closeIdleConnections();
      await new Promise<void>((resolve) => gateway.http.close(() => resolve()));
      await gateway.apollo.stop();
      await gateway.stopServices();
    },
  };
}
