/**
 * Starts one agency's subgraph: opens and migrates its database, seeds the
 * demo citizens into an empty one, builds the Apollo subgraph server and
 * listens. `runSubgraph` is the process entry every agency's main.ts calls.
 */
import { join } from "node:path";
import type { Server } from "node:http";
import { parse } from "graphql";
import { openDatabase, type Database, type PrismaLike } from "../../platform/database/openDatabase.ts";
import { createServer } from "node:http";
import { listen } from "../../platform/http/createGraphQLHttpServer.ts";
import { startMetricsServer } from "../../platform/observability/startMetricsServer.ts";
import { createTracing, type Tracing } from "../../platform/observability/createTracing.ts";
import { createSubgraphMetrics, type SubgraphMetrics } from "./createSubgraphMetrics.ts";
import { createLogger, silentLogger, type Logger } from "../../platform/logging/createLogger.ts";
import { logReady } from "../../platform/logging/logReady.ts";
import { loadJwks } from "../../platform/security/keys.ts";
import { createSecuredSubgraph } from "../../platform/subgraph/createSecuredSubgraph.ts";
import type { Agency } from "./agency.ts";
import { readSubgraphConfig, type SubgraphConfig } from "./config.ts";
import { readSubgraphTypeDefs } from "../../platform/subgraph/readSubgraphTypeDefs.ts";
import { scalarResolvers } from "../../platform/standard/scalars.ts";

/** A running subgraph. */
export interface RunningSubgraph<Client extends PrismaLike> {
  name: string;
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  database: Database<Client>;
  logger: Logger;
  /** Prometheus text, on METRICS_HOST:METRICS_PORT (never the public port). */
  metricsUrl: string;
  stop(): Promise<void>;
}

/** Builds (does not start listening) the HTTP server of an agency's subgraph over an open database. */
export async function createSubgraphServer<Client extends PrismaLike, Loaders>(
  agency: Agency<Client, Loaders>,
  database: Database<Client>,
  gatewayJwksPath: string,
  logger?: Logger,
  metrics?: SubgraphMetrics,
  tracing?: Tracing,
): Promise<{ http: Server; stop(): Promise<void> }> {
  const subgraph = await createSecuredSubgraph({
    name: agency.name,
    typeDefs: parse(readSubgraphTypeDefs(agency.directory)),
    resolvers: { ...scalarResolvers, ...agency.resolvers },
    gatewayJwks: loadJwks(gatewayJwksPath),
    context: () => ({ prisma: database.prisma, loaders: agency.createLoaders(database.prisma) }),
    logger,
    onResponse: metrics?.responded,
    tracing,
    routes: {
      "/health": (_request, response) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ status: "ok", service: agency.name }));
      },
    },
  });
  const http = createServer(subgraph.handleRequest);
  http.keepAliveTimeout = 65_000;
  return { http, stop: subgraph.stop };
}

/** Opens the database, seeds it when asked and empty, and starts listening. */
export async function startSubgraph<Client extends PrismaLike, Loaders>(
  agency: Agency<Client, Loaders>,
  config: SubgraphConfig,
): Promise<RunningSubgraph<Client>> {
  const logger = config.logger ?? (config.observability
    ? createLogger({ service: config.observability.service, level: config.observability.logLevel })
    : silentLogger());
  const tracing = createTracing({ service: config.observability?.service ?? agency.name, otlpEndpoint: config.observability?.otlpEndpoint, sampler: config.observability?.tracesSampler });
  const database = await openDatabase({
    tracing,
    location: config.database,
    migrationsDir: join(agency.directory, "prisma/migrations"),
    createClient: agency.createClient,
  });
  try {
    if (config.seedDemo && (await agency.isEmpty(database.prisma))) await agency.seedDemo(database.prisma);
    const observability = config.observability;
    const metrics = createSubgraphMetrics(observability?.service ?? agency.name, database as Database<PrismaLike>);
    const { http, stop } = await createSubgraphServer(agency, database, config.gatewayJwksPath, logger, metrics, tracing);
    const metricsServer = await startMetricsServer(metrics.registry, observability?.metricsHost ?? "127.0.0.1", observability?.metricsPort ?? 0);
    const url = await listen(http, config.port, config.host).catch(async (error: unknown) => {
      await metricsServer.close();
      throw error;
    });
    return {
      name: agency.name,
      url,
      database,
      logger,
      metricsUrl: metricsServer.url,
      stop: async () => {
        await metricsServer.close();
        http.closeIdleConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await stop();
        await database.close();
        await tracing.shutdown();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Process entry: config from the environment, start, print the URL, stop cleanly on SIGINT/SIGTERM. */
export async function runSubgraph<Client extends PrismaLike, Loaders>(agency: Agency<Client, Loaders>): Promise<void> {
  try {
    const running = await startSubgraph(agency, readSubgraphConfig(agency));
    logReady(running.logger, { url: running.url, metricsUrl: running.metricsUrl }, `${agency.name} subgraph ready at ${running.url} (metrics at ${running.metricsUrl})`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      running.logger.info("stopping");
      await running.stop().catch((error: unknown) => running.logger.error({ err: error }, "stopping failed"));
      process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (error) {
    createLogger({ service: agency.name }).fatal({ err: error }, `${agency.name} subgraph failed to start`);
    process.exit(1);
  }
}
