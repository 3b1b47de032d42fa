/**
 * Configuration of one agency's subgraph process, read once from the
 * environment: `HOST`, `PORT`, `DATA_DIR`, `DATABASE_URL`,
 * `<NAME>_DATABASE_URL`, `SEED_DEMO`, `GATEWAY_JWKS` (the gateway's public
 * key set; default `DATA_DIR/keys/gateway.jwks.json`), `LOG_LEVEL`,
 * `METRICS_HOST`, `METRICS_PORT` (9401-9405), `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_SERVICE_NAME` (the agency's name).
 */
import { resolve } from "node:path";
import { EnvReader } from "../../platform/EnvReader.ts";
import { devKeyPaths } from "../../platform/security/keys.ts";
import type { DatabaseLocation } from "../../platform/database/databaseUrl.ts";
import type { Logger } from "../../platform/logging/createLogger.ts";
import { readObservabilityConfig, type ObservabilityConfig } from "../../platform/observability/readObservabilityConfig.ts";

export interface SubgraphConfig {
  /** @default "127.0.0.1" */
  host: string;
  /** @default the agency's own port (4001-4005) */
  port: number;
  database: DatabaseLocation;
  /** Seed the standard's demo citizens when the database is empty. @default true */
  seedDemo: boolean;
  /** The gateway's public JWKS file: the only signer this subgraph trusts. */
  gatewayJwksPath: string;
  /** Logs, metrics and traces. @default silent logs, metrics on any free loopback port, no trace export */
  observability?: ObservabilityConfig;
  /** Overrides the logger `observability` would make (tests capture lines). */
  logger?: Logger;
}

/** Where an agency serves metrics unless METRICS_PORT says otherwise: 9401-9405 beside ports 4001-4005. */
export const metricsPortOf = (agency: { defaultPort: number }) => agency.defaultPort + 5400;

/** @throws ConfigError naming every bad variable */
export function readSubgraphConfig(agency: { name: string; defaultPort: number }, env: NodeJS.ProcessEnv = process.env): Readonly<SubgraphConfig> {
  const reader = new EnvReader(env);
  const config: SubgraphConfig = {
    host: reader.string("HOST", "127.0.0.1"),
    port: reader.port("PORT", agency.defaultPort),
    database: reader.database(agency.name),
    seedDemo: reader.boolean("SEED_DEMO", true),
    gatewayJwksPath: resolve(reader.string("GATEWAY_JWKS", devKeyPaths(resolve(reader.string("DATA_DIR", ".data"))).gatewayJwks)),
    observability: readObservabilityConfig(reader, { service: agency.name, metricsPort: metricsPortOf(agency) }),
  };
  reader.finish(agency.name);
  return Object.freeze(config);
}
