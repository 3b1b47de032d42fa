/**
 * The settings every service reads the same way for logs, metrics and
 * traces. Called from each service's config.ts with its EnvReader, so the
 * problems land in the one ConfigError that names every bad variable.
 */
import type { EnvReader } from "../EnvReader.ts";
import { isLogLevel, LOG_LEVELS } from "../logging/createLogger.ts";
import type { LevelWithSilent } from "pino";

export interface ObservabilityConfig {
  /** Written on every log line and as the trace's service name. */
  service: string;
  /** `LOG_LEVEL`. @default "info" */
  logLevel: LevelWithSilent;
  /** `METRICS_HOST`. @default "127.0.0.1" */
  metricsHost: string;
  /** `METRICS_PORT`; 0 asks for any free port. */
  metricsPort: number;
  /** `OTEL_EXPORTER_OTLP_ENDPOINT` (base URL; traces go to `/v1/traces`); undefined: nothing is exported. */
  otlpEndpoint: string | undefined;
}

/** Observability settings for tests and in-process use: silent, metrics on any free loopback port, no export. */
export function quietObservability(service: string): ObservabilityConfig {
  return { service, logLevel: "silent", metricsHost: "127.0.0.1", metricsPort: 0, otlpEndpoint: undefined };
}

export function readObservabilityConfig(reader: EnvReader, defaults: { service: string; metricsPort: number }): ObservabilityConfig {
  const logLevel = reader.string("LOG_LEVEL", "info");
  if (!isLogLevel(logLevel)) reader.problem(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);
  const otlp = reader.optional("OTEL_EXPORTER_OTLP_ENDPOINT");
  return {
    service: reader.string("OTEL_SERVICE_NAME", defaults.service),
    logLevel: isLogLevel(logLevel) ? logLevel : "info",
    metricsHost: reader.string("METRICS_HOST", "127.0.0.1"),
    metricsPort: reader.port("METRICS_PORT", defaults.metricsPort),
    otlpEndpoint: otlp === undefined ? undefined : reader.httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
  };
}
