/**
 * Builds the gateway: @apollo/gateway over the static supergraph file (no
 * runtime introspection of subgraphs) on Apollo Server 5, behind the lean
 * HTTP server. `startGateway` listens; gateway/main.ts is the process entry.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Server } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
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
import { openDatabase, type Database } from "../platform/database/openDatabase.ts";
import { auditPlugin } from "./audit/auditPlugin.ts";
import { createAuditWriter, type AuditWriter } from "./audit/createAuditWriter.ts";
import { createCitizenPseudonymizer } from "./audit/createCitizenPseudonymizer.ts";
import { startChainHeadSigning } from "./audit/startChainHeadSigning.ts";
import { sanitizeAuditText } from "./audit/sanitizeAuditText.ts";
import { PrismaClient as AuditPrismaClient } from "./audit/prisma/generated/client.ts";
import { auditResolvers } from "./audit/subgraph/resolvers.ts";
import { auditPageRoutes } from "./auditPage/auditPageRoutes.ts";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { Principal } from "./authn/Principal.ts";
import { loadAppRegistry } from "./guard/appRegistry.ts";
import { createMemoryRateLimiter, createRedisRateLimiter } from "./guard/createRateLimiter.ts";
import { guardPlugin } from "./guard/guardPlugin.ts";
import { schemaDisclosurePlugin } from "./guard/schemaDisclosurePlugin.ts";
import { verifyAuditChain } from "./audit/verifyAuditChain.ts";
import { createSecuredSubgraph } from "../subgraphs/shared/createSecuredSubgraph.ts";
import { publicJwksOfPrivateKey } from "../platform/security/keys.ts";

const AUDIT_MIGRATIONS = fileURLToPath(new URL("./audit/prisma/migrations", import.meta.url));
const AUDIT_SDL = fileURLToPath(new URL("./audit/subgraph/schema.graphql", import.meta.url));
/** The gateway's own subgraph: the audit log, served from its database at this path. */
const AUDIT_SUBGRAPH = "audit";
const AUDIT_SUBGRAPH_PATH = "/subgraphs/audit/graphql";

/** The audit log's database, writer and pseudonymizer: what the gateway and the audit tools share. */
export interface AuditLog {
  database: Database<AuditPrismaClient>;
  writer: AuditWriter;
  pseudonymize(citizenId: string): string;
}

/** Opens (creating and migrating if needed) the gateway's audit database. */
export async function openAuditLog(config: GatewayConfig): Promise<AuditLog> {
  const database = await openDatabase({
    location: config.auditDatabase,
    migrationsDir: AUDIT_MIGRATIONS,
    createClient: (options) => new AuditPrismaClient(options),
    // Fail closed fast when the audit database is unreachable.
    connectTimeoutMs: 2_000,
  });
  return {
    database,
    writer: createAuditWriter({ prisma: database.prisma }),
    pseudonymize: createCitizenPseudonymizer(readFileSync(config.auditPseudonymKeyPath, "utf8").trim()),
  };
}
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
  audit: AuditLog;
  stop(): Promise<void>;
}

/** Builds the gateway's HTTP server (not listening yet). */
export async function createGateway(
  config: GatewayConfig,
): Promise<{
  http: Server;
  apollo: ApolloServer<GatewayContext>;
  subgraphUrls: Record<string, string>;
  audit: AuditLog;
  useOwnAddress(graphqlUrl: string): void;
  stopAudit(): Promise<void>;
}> {
  const supergraphSdl = readFileSync(config.supergraphPath, "utf8");
  const subgraphUrls = { ...subgraphUrlsOf(supergraphSdl), ...config.subgraphUrls };
  const gatewaySdl = prepareSupergraphForGateway(supergraphSdl);
  const verifyToken = createAppTokenVerifier({
    jwks: config.jwks,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    clockToleranceSeconds: config.clockToleranceSeconds,
  });
  const gatewayKey = await loadSigningKey(config.signingKeyPath);
  const subgraphTokenFor = createSubgraphTokenSigner({ key: gatewayKey });
  const audit = await openAuditLog(config);
  const gatewayJwks = publicJwksOfPrivateKey(config.signingKeyPath);
  const verifyChain = () => verifyAuditChain({ prisma: audit.database.prisma, gatewayJwks, headsPath: config.auditHeadsPath });
  const auditSubgraph = await createSecuredSubgraph({
    name: AUDIT_SUBGRAPH,
    typeDefs: parse(readFileSync(AUDIT_SDL, "utf8")),
    resolvers: auditResolvers,
    gatewayJwks,
    graphqlPath: AUDIT_SUBGRAPH_PATH,
    context: () => ({ prisma: audit.database.prisma, pseudonymize: audit.pseudonymize, verifyChain }),
  });
  const headSigning = startChainHeadSigning({
    prisma: audit.database.prisma,
    key: gatewayKey,
    path: config.auditHeadsPath,
    intervalMs: config.auditHeadIntervalMs,
  });
  const apiSchema = Supergraph.build(gatewaySdl).apiSchema().toGraphQLJSSchema();
  withStandardScalars(apiSchema);
  const authorize = createOperationAuthorizer({
    schema: apiSchema,
    requirements: readAccessRequirements(parse(supergraphSdl)),
  });
  const registry = loadAppRegistry(config.appRegistryPath);
  const rateLimiter = config.redisUrl ? createRedisRateLimiter(config.redisUrl) : createMemoryRateLimiter();
  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth, exposeLimits: false },
    maxAliases: { n: config.limits.maxAliases, exposeLimits: false },
    maxDirectives: { n: config.limits.maxDirectives, exposeLimits: false },
    maxTokens: { n: config.limits.maxTokens, exposeLimits: false },
    costLimit: { maxCost: config.limits.maxCost, exposeLimits: false },
    // Suggestions are hidden per caller (schemaDisclosurePlugin): agency developers keep them.
    blockFieldSuggestion: { enabled: false },
  }).protect();
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
      ...(armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[]),
    ],
  });
  await apollo.start();
  const http = createGraphQLHttpServer({
    apollo,
    context: async (request) => {
      let principal: Principal;
      try {
        principal = await verifyToken(request.headers.authorization);
      } catch (error) {
        const reason = error instanceof AuthenticationError ? error.reason : "invalid token";
        throw new HttpError(401, ErrorCode.UNAUTHENTICATED, `Unauthenticated: ${reason}`, { "www-authenticate": "Bearer" });
      }
      const rate = await rateLimiter.take(principal.app, registry.get(principal.app)?.rateLimit ?? config.rateLimit).catch(() => null);
      // A rate-limit store that cannot answer does not stop the service: the limit is then not enforced.
      if (rate && !rate.allowed) {
        throw new HttpError(429, ErrorCode.RATE_LIMITED, "Too many requests", { "retry-after": String(rate.retryAfterSeconds) }, principal);
      }
      {
        return {
          principal,
          requestId: randomUUID(),
          startedAt: Date.now(),
          startedAtMonotonic: performance.now(),
          clientAddress: request.socket?.remoteAddress ?? null,
          subgraphsCalled: new Set<string>(),
          citizensRead: new Set<string>(),
        };
      }
    },
    maxBodyBytes: config.maxBodyBytes,
    // Requests refused before GraphQL runs are accounted for too.
    beforeRefusal: (request, error, startedAtMonotonic) =>
      audit.writer.write({
        time: new Date(),
        requestId: randomUUID(),
        app: sanitizeAuditText((error.detail as Principal | undefined)?.app),
        tokenId: sanitizeAuditText((error.detail as Principal | undefined)?.tokenId),
        purpose: sanitizeAuditText((error.detail as Principal | undefined)?.purpose),
        operationName: null,
        operationHash: null,
        citizens: [],
        requestedFields: [],
        grantedFields: [],
        deniedFields: [],
        outcome: error.status === 401 ? "UNAUTHENTICATED" : "REJECTED",
        dataReleased: false,
        errorCodes: [error.code],
        subgraphs: [],
        latencyMs: Math.round(performance.now() - startedAtMonotonic),
        clientAddress: sanitizeAuditText(request.socket?.remoteAddress, 64),
      }),
    headers: { "cache-control": "no-store" },
    routes: {
      "/health": (_request, response) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ status: "ok", service: "gateway" }));
      },
      [AUDIT_SUBGRAPH_PATH]: auditSubgraph.handleRequest,
      ...auditPageRoutes(),
    },
  });
  return {
    http,
    apollo,
    subgraphUrls,
    audit,
    /** Points the audit subgraph's data source at this gateway's own address, unless configured elsewhere. */
    useOwnAddress: (graphqlUrl: string) => {
      const source = dataSources.get(AUDIT_SUBGRAPH);
      if (source && !config.subgraphUrls[AUDIT_SUBGRAPH]) source.url = new URL(AUDIT_SUBGRAPH_PATH, graphqlUrl).toString();
    },
    stopAudit: async () => {
      await rateLimiter.close();
      await auditSubgraph.stop();
      await audit.writer.drain();
      await headSigning.stop();
      await audit.database.close();
    },
  };
}

/** Builds the gateway and listens on `config.host:config.port`. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const { http, apollo, subgraphUrls, audit, useOwnAddress, stopAudit } = await createGateway(config);
  const url = await listen(http, config.port, config.host);
  useOwnAddress(url);
  return {
    url,
    subgraphUrls,
    audit,
    stop: async () => {
      http.closeIdleConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await apollo.stop();
      await stopAudit();
    },
  };
}
