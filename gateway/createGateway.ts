/**
 * Builds the gateway: @apollo/gateway over the static supergraph file (no
 * runtime introspection of subgraphs) on Apollo Server 5, behind the lean
 * HTTP server, with its plugins in request order: audit (records every
 * request, releases nothing before the commit), guard (safelists, shape
 * limits), authorization (field permissions), schema disclosure, armor.
 * `startGateway` listens; gateway/main.ts is the process entry.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, Server } from "node:http";
import { Supergraph } from "@apollo/federation-internals";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { parse } from "graphql";
import { createCorsPolicy } from "../platform/http/createCorsPolicy.ts";
import { createGraphQLHttpServer, HttpError, listen } from "../platform/http/createGraphQLHttpServer.ts";
import { createLogger, type Logger } from "../platform/logging/createLogger.ts";
import { errorLoggingPlugin } from "../platform/logging/errorLoggingPlugin.ts";
import { normalizeError } from "../platform/normalizeError.ts";
import { readAccessRequirements } from "../platform/security/accessRequirements.ts";
import { loadSigningKey, publicJwksOfPrivateKey } from "../platform/security/keys.ts";
import { auditPlugin } from "./audit/auditPlugin.ts";
import { fieldLevelsOf } from "./audit/insights/fieldLevelOf.ts";
import { startRollupRefresh } from "./audit/insights/startRollupRefresh.ts";
import { observeAuditWriter } from "./audit/observeAuditWriter.ts";
import { openAuditLog, type AuditLog } from "./audit/openAuditLog.ts";
import { refusalAuditEntry } from "./audit/refusalAuditEntry.ts";
import { startChainHeadSigning } from "./audit/startChainHeadSigning.ts";
import { AUDIT_SUBGRAPH, AUDIT_SUBGRAPH_PATH, createAuditSubgraph } from "./audit/subgraph/createAuditSubgraph.ts";
import { auditPageRoutes } from "./auditPage/auditPageRoutes.ts";
import { graphiqlRoutes } from "./graphiql/graphiqlRoutes.ts";
import { createReceiptSigner } from "./receipts/createReceiptSigner.ts";
import { publicKeysRoute } from "./receipts/publicKeysRoute.ts";
import { receiptAttacher } from "./receipts/receiptAttacher.ts";
import { createAppTokenVerifier } from "./authn/createAppTokenVerifier.ts";
import { authorizationPlugin } from "./authz/authorizationPlugin.ts";
import { createOperationAuthorizer } from "./authz/createOperationAuthorizer.ts";
import { createDatabaseVerificationBudget, createRedisVerificationBudget, unlimitedVerificationBudget } from "./authz/createVerificationBudget.ts";
import type { GatewayConfig } from "./config.ts";
import { createClientAddressResolver } from "./createClientAddressResolver.ts";
import { createRequestContext } from "./createRequestContext.ts";
import type { GatewayContext } from "./GatewayContext.ts";
import { loadAppRegistry } from "./guard/appRegistry.ts";
import { createReadinessCheck } from "./health/createReadinessCheck.ts";
import { createGatewayMetrics, disabledGatewayMetrics, type GatewayMetrics } from "./observability/createGatewayMetrics.ts";
import { denialMetricsPlugin } from "./observability/denialMetricsPlugin.ts";
import { startMetricsServer } from "../platform/observability/startMetricsServer.ts";
import { createTracing } from "../platform/observability/createTracing.ts";
import { createArmor } from "./guard/createArmor.ts";
import { createMemoryRateLimiter, createRedisRateLimiter } from "./guard/createRateLimiter.ts";
import { guardPlugin } from "./guard/guardPlugin.ts";
import { openGovernance, type OpenGovernance } from "./governance/openGovernance.ts";
import { GOVERNANCE_SUBGRAPH, GOVERNANCE_SUBGRAPH_PATH } from "./governance/subgraph/createGovernanceSubgraph.ts";
import { governancePageRoutes } from "./governancePages/governancePageRoutes.ts";
import { schemaDisclosurePlugin } from "./guard/schemaDisclosurePlugin.ts";
import { AgencyDataSource } from "./subgraphs/AgencyDataSource.ts";
import { createLeanGateway } from "./execution/createLeanGateway.ts";
import { createOwnSubgraphFetcher } from "./createOwnSubgraphFetcher.ts";
import { createSubgraphTokenSigner } from "./subgraphs/createSubgraphTokenSigner.ts";
import { prepareSupergraphForGateway } from "./supergraph/prepareSupergraphForGateway.ts";
import { subgraphUrlsOf } from "./supergraph/subgraphUrlsOf.ts";
import { withStandardScalars } from "./supergraph/withStandardScalars.ts";

/** The subgraphs this process serves itself (see useOwnAddress), with their own fetch deadline. */
const OWN_SUBGRAPHS: ReadonlySet<string> = new Set([AUDIT_SUBGRAPH, GOVERNANCE_SUBGRAPH]);

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Subgraph URLs in use, by name. */
  subgraphUrls: Readonly<Record<string, string>>;
  audit: AuditLog;
  governance: OpenGovernance;
  logger: Logger;
  /** Where Prometheus text is served (METRICS_HOST:METRICS_PORT), e.g. `http://127.0.0.1:9400/metrics`; "" with METRICS_ENABLED=false. */
  metricsUrl: string;
  /** Stops taking requests, lets in-flight ones finish (up to SHUTDOWN_GRACE_MS), flushes the audit log. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** @default a pino logger on stdout at `config.observability.logLevel` */
  logger?: Logger;
  /**
   * The bench's grants-off row only (scripts/bench/ungovernedGatewayMain.ts):
   * requests keep their token's scopes, not intersected with the app's grants,
   * so the bench can show what grants cost per request. No configuration
   * variable reaches it; gateway/main.ts never sets it.
   */
  ungovernedForBench?: boolean;
  /**
   * The bench's lean-executor row only (scripts/bench/apolloExecutorGatewayMain.ts):
   * every operation runs on @apollo/gateway's own executor, so the bench can
   * show what the lean executor saves. gateway/main.ts never sets it.
   */
  apolloExecutorForBench?: boolean;
}

export interface Gateway {
  http: Server;
  apollo: ApolloServer<GatewayContext>;
  subgraphUrls: Record<string, string>;
  audit: AuditLog;
  governance: OpenGovernance;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Points the audit subgraph's data source at this gateway's own address, unless configured elsewhere. */
  useOwnAddress(graphqlUrl: string): void;
  /** Stops everything but the HTTP server and Apollo, flushing the audit log. */
  stopServices(): Promise<void>;
}

/** Builds the gateway's HTTP server (not listening yet). */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  // Buffered: the access log is a line per request (written on exit, at least every 250 ms, errors at once).
  const logger = options.logger ?? createLogger({ service: config.observability.service, level: config.observability.logLevel, buffered: true });
  const supergraphSdl = readFileSync(config.supergraphPath, "utf8");
  const gatewaySdl = prepareSupergraphForGateway(supergraphSdl);
  const subgraphUrls = { ...subgraphUrlsOf(supergraphSdl), ...config.subgraphUrls };
  const gatewayKey = await loadSigningKey(config.signingKeyPath);
  const gatewayJwks = publicJwksOfPrivateKey(config.signingKeyPath);
  const receiptSigner = config.features.receipts ? createReceiptSigner(config.receiptKeyPath) : undefined;

  const tracing = createTracing({ service: config.observability.service, otlpEndpoint: config.observability.otlpEndpoint, sampler: config.observability.tracesSampler, global: true });
  const dataSources = new Map<string, AgencyDataSource>();
  // Filled in once the audit log is open; commits cannot happen before.
  let metrics: GatewayMetrics | undefined;
  const openedAudit = await openAuditLog(config, { onCommit: (records, seconds, failed) => metrics?.auditCommitted(records, seconds, failed) });
  metrics = config.features.metrics
    ? createGatewayMetrics({
        service: config.observability.service,
        circuits: () => [...dataSources.values()].map((source) => ({ subgraph: source.name, state: source.breaker.state })),
        auditQueued: () => openedAudit.writer.stats().queued,
        poolStats: () => openedAudit.database.poolStats(),
      })
    : disabledGatewayMetrics();
  const audit: AuditLog = { ...openedAudit, writer: observeAuditWriter(openedAudit.writer, { logger, observer: metrics, tracing }) };
  const clientAddressOf = createClientAddressResolver(config.trustedProxies);
  const recordRefusal = async (request: IncomingMessage, error: HttpError, startedAtMonotonic: number) =>
    void (await audit.writer.write(refusalAuditEntry(request, error, startedAtMonotonic, clientAddressOf(request))));
  const auditSubgraph = await createAuditSubgraph({
    audit,
    // A direct call without the gateway's token is a request like any other: it leaves a record.
    beforeRefusal: recordRefusal,
    gatewayJwks,
    headsPath: config.auditHeadsPath,
    anomalies: config.anomalies,
    levelOf: fieldLevelsOf(supergraphSdl),
  });
  const governance = await openGovernance({ supergraphSdl, audit, gatewayJwks, config });
  const headSigning = startChainHeadSigning({
    session: audit.database.session,
    key: gatewayKey,
    path: config.auditHeadsPath,
    intervalMs: config.auditHeadIntervalMs,
    logger,
  });

  const rollupRefresh = startRollupRefresh({ source: audit.database.session, intervalMs: config.auditRollupIntervalMs, logger });

  const apiSchema = Supergraph.build(gatewaySdl).apiSchema().toGraphQLJSSchema();
  withStandardScalars(apiSchema);
  const authorize = createOperationAuthorizer({
    schema: apiSchema,
    requirements: readAccessRequirements(parse(supergraphSdl)),
    maxTokens: config.limits.maxTokens,
    // Each field after fragment expansion, plus the spreads and inline fragments that lead to it.
    maxVisits: config.limits.maxFields * 4,
  });
  const budgetLimits = { distinctArguments: config.verifyDistinctArguments, windowMs: config.verifyWindowMs };
  const verificationBudget = !config.features.verificationBudgets
    ? unlimitedVerificationBudget()
    : config.redisUrl
    ? createRedisVerificationBudget(config.redisUrl, budgetLimits)
    : createDatabaseVerificationBudget(audit.database.session, budgetLimits);
  const registry = loadAppRegistry(config.appRegistryPath);
  const rateLimiter = config.redisUrl ? createRedisRateLimiter(config.redisUrl, logger) : createMemoryRateLimiter();
  const armor = createArmor<GatewayContext>(config.limits);

  const subgraphTokenFor = createSubgraphTokenSigner({ key: gatewayKey });
  // @apollo/gateway otherwise starts a metrics exporter to Apollo's servers and
  // probes cloud metadata endpoints (AWS, GCP, Azure, Alibaba) at construction:
  // a government gateway reports to no one and reaches nothing beyond its agencies.
  process.env.APOLLO_TELEMETRY_DISABLED = "true";
  const gateway = new ApolloGateway({
    supergraphSdl: gatewaySdl,
    logger: logger.child({ component: "apollo-gateway" }),
    buildService: ({ name }) => {
      const source = new AgencyDataSource({
        name,
        url: subgraphUrls[name]!,
        // The gateway's own subgraphs answer from its database, not over an agency's link: their own deadline.
        timeoutMs: OWN_SUBGRAPHS.has(name) ? config.ownSubgraphTimeoutMs : config.subgraphTimeoutMs,
        maxResponseBytes: config.subgraphMaxResponseBytes,
        breaker: { failureThreshold: config.circuitFailureThreshold, resetMs: config.circuitResetMs },
        subgraphTokenFor,
        logger,
        onFetch: metrics.fetched,
        tracing,
      });
      dataSources.set(name, source);
      return source;
    },
  });

  // @apollo/gateway loads and plans; the plans this supergraph makes run on the lean executor.
  const leanGateway = createLeanGateway(gateway, { services: (name) => dataSources.get(name), traced: () => tracing.recording() });

  const apollo = new ApolloServer<GatewayContext>({
    gateway: options.apolloExecutorForBench ? gateway : leanGateway,
    logger,
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
      errorLoggingPlugin<GatewayContext>({ logger, requestIdOf: (context) => context?.requestId }),
      // First: it hashes the operation as the app sent it; its response hook waits for the commit.
      auditPlugin({ writer: audit.writer, pseudonymize: audit.pseudonymize, afterCommit: receiptSigner ? receiptAttacher(receiptSigner) : undefined }),
      guardPlugin({ registry, limits: config.limits }),
      authorizationPlugin({
        authorize,
        schema: apiSchema,
        mode: config.authorizationMode,
        verificationBudget,
        pseudonymize: audit.pseudonymize,
      }),
      schemaDisclosurePlugin(),
      denialMetricsPlugin(metrics),
      ...armor.plugins,
    ],
  });
  await apollo.start();

  const verifyToken = createAppTokenVerifier({
    jwks: config.jwks,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    clockToleranceSeconds: config.clockToleranceSeconds,
    maxLifetimeSeconds: config.maxTokenLifetimeSeconds,
  });
  const ready = createReadinessCheck({
    agencies: () =>
      [...dataSources.values()]
        .filter((source) => source.name !== AUDIT_SUBGRAPH && source.name !== GOVERNANCE_SUBGRAPH)
        .map((source) => ({ name: source.name, url: source.url!, circuitOpen: source.breaker.state === "open" })),
    // Apollo Server has started over the supergraph by the time this route can be reached.
    supergraphLoaded: () => dataSources.size > 0,
    keysLoaded: () => verifyToken.keysLoaded(),
    auditWritable: async () => {
      const [row] = await audit.database.session.query<{ recovering: boolean }>("SELECT pg_is_in_recovery() AS recovering");
      return row?.recovering === false;
    },
  });
  const http = createGraphQLHttpServer({
    apollo,
    context: createRequestContext({ verifyToken, rateLimiter, registry, defaultRateLimit: config.rateLimit,
      unauthenticatedRateLimit: config.unauthenticatedRateLimit,
      clientAddressOf,
      logger,
      govern: options.ungovernedForBench ? async (principal) => principal : governance.govern,
      onRefusal: (kind, reason) => (kind === "token" ? metrics.tokenRefused(reason) : metrics.rateLimited(reason)),
    }),
    maxBodyBytes: config.maxBodyBytes,
    logger,
    accessLogLevel: config.features.accessLog ? "info" : "off",
    tracing,
    // Requests refused before GraphQL runs are accounted for too.
    beforeRefusal: recordRefusal,
    // What Apollo refuses before any plugin runs (CSRF, a batch, a malformed body) is recorded here.
    beforeResponse: async (request, context, answer, startedAtMonotonic) => {
      if (context.auditState?.recorded) return;
      await recordRefusal(request, new HttpError(answer.status, errorCodeOf(answer.body), "", {}, context.principal), startedAtMonotonic);
    },
    headers: { "cache-control": "no-store" },
    cors: createCorsPolicy({ origins: config.corsOrigins }),
    routes: {
      "/health": (_request, response) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ status: "ok", service: "gateway" }));
      },
      "/ready": async (_request, response) => {
        const report = await ready();
        response.statusCode = report.status === "not-ready" ? 503 : 200;
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify(report));
      },
      [AUDIT_SUBGRAPH_PATH]: auditSubgraph.handleRequest,
      [GOVERNANCE_SUBGRAPH_PATH]: governance.subgraph.handleRequest,
      ...auditPageRoutes(),
      ...graphiqlRoutes(),
      ...governancePageRoutes(),
      ...publicKeysRoute([gatewayJwks, publicJwksOfPrivateKey(config.receiptKeyPath)]),
    },
  });

  return {
    http,
    apollo,
    subgraphUrls,
    audit,
    governance,
    logger,
    metrics,
    useOwnAddress: (graphqlUrl) => {
      const own = [
        [AUDIT_SUBGRAPH, AUDIT_SUBGRAPH_PATH, auditSubgraph],
        [GOVERNANCE_SUBGRAPH, GOVERNANCE_SUBGRAPH_PATH, governance.subgraph],
      ] as const;
      for (const [name, path, subgraph] of own) {
        const source = dataSources.get(name);
        if (!source || config.subgraphUrls[name]) continue;
        source.url = new URL(path, graphqlUrl).toString();
        // Served by this process: called in it (createOwnSubgraphFetcher.ts), not over loopback.
        source.fetchWith(createOwnSubgraphFetcher(subgraph, { timeoutMs: config.ownSubgraphTimeoutMs, maxResponseBytes: config.subgraphMaxResponseBytes }));
      }
    },
    stopServices: async () => {
      await rateLimiter.close();
      await verificationBudget.close();
      await auditSubgraph.stop();
      await governance.stop();
      await audit.writer.drain();
      await headSigning.stop();
      await rollupRefresh.stop();
      await audit.database.close();
      await tracing.shutdown();
    },
  };
}

/** The first error code of a GraphQL response body (BAD_REQUEST when there is none to read). */
function errorCodeOf(body: string | undefined): string {
  try {
    const code = (JSON.parse(body ?? "") as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors?.[0]?.extensions?.code;
    return typeof code === "string" ? code : "BAD_REQUEST";
  } catch {
    return "BAD_REQUEST";
  }
}

/** Builds the gateway and listens on `config.host:config.port`. */
export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const gateway = await createGateway(config, options);
  const metricsServer = config.features.metrics
    ? await startMetricsServer(gateway.metrics.registry, config.observability.metricsHost, config.observability.metricsPort)
    : { url: "", close: async () => {} };
  const url = await listen(gateway.http, config.port, config.host).catch(async (error: unknown) => {
    await metricsServer.close();
    throw error;
  });
  gateway.useOwnAddress(url);
  return {
    url,
    subgraphUrls: gateway.subgraphUrls,
    audit: gateway.audit,
    governance: gateway.governance,
    logger: gateway.logger,
    metricsUrl: metricsServer.url,
    stop: async () => {
      // No new connections; idle keep-alive ones close now, busy ones as soon as their response is
      // out (a client's keep-alive connection would otherwise hold the drain for the whole grace).
      const closed = new Promise<void>((resolve) => gateway.http.close(() => resolve()));
      gateway.http.closeIdleConnections();
      const idle = setInterval(() => gateway.http.closeIdleConnections(), 50);
      const grace = setTimeout(() => gateway.http.closeAllConnections(), config.shutdownGraceMs);
      await closed;
      clearInterval(idle);
      clearTimeout(grace);
      await gateway.apollo.stop();
      await gateway.stopServices();
      await metricsServer.close();
      gateway.logger.flush();
    },
  };
}
