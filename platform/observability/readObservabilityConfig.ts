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
  /** `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`: which traces are recorded. @default parentbased_always_on */
  tracesSampler: TracesSampler;
}

export const TRACES_SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;

/** OpenTelemetry's standard sampler settings; `ratio` is used by the traceidratio forms. */
export interface TracesSampler {
  name: (typeof TRACES_SAMPLERS)[number];
  ratio: number;
}

export const DEFAULT_TRACES_SAMPLER: Readonly<TracesSampler> = Object.freeze({ name: "parentbased_always_on", ratio: 1 });

/** Observability settings for tests and in-process use: silent, metrics on any free loopback port, no export. */
export function quietObservability(service: string): ObservabilityConfig {
  return { service, logLevel: "silent", metricsHost: "127.0.0.1", metricsPort: 0, otlpEndpoint: undefined, tracesSampler: DEFAULT_TRACES_SAMPLER };
}

export function readObservabilityConfig(reader: EnvReader, defaults: { service: string; metricsPort: number }): ObservabilityConfig {
  const logLevel = reader.string("LOG_LEVEL", "info");
  if (!isLogLevel(logLevel)) reader.problem(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);
  const otlp = reader.optional("OTEL_EXPORTER_OTLP_ENDPOINT");
  const samplerName = reader.string("OTEL_TRACES_SAMPLER", DEFAULT_TRACES_SAMPLER.name);
  if (!(TRACES_SAMPLERS as readonly string[]).includes(samplerName)) reader.problem(`OTEL_TRACES_SAMPLER must be one of ${TRACES_SAMPLERS.join(", ")}, got ${JSON.stringify(samplerName)}`);
  const ratioText = reader.string("OTEL_TRACES_SAMPLER_ARG", "1");
  const ratio = Number(ratioText);
  if (ratioText.trim() === "" || !(ratio >= 0 && ratio <= 1)) reader.problem(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got ${JSON.stringify(ratioText)}`);
  return {
    service: reader.string("OTEL_SERVICE_NAME", defaults.service),
    logLevel: isLogLevel(logLevel) ? logLevel : "info",
    metricsHost: reader.string("METRICS_HOST", "127.0.0.1"),
    metricsPort: reader.port("METRICS_PORT", defaults.metricsPort),
    otlpEndpoint: otlp === undefined ? undefined : reader.httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
    tracesSampler: {
      name: (TRACES_SAMPLERS as readonly string[]).includes(samplerName) ? (samplerName as TracesSampler["name"]) : DEFAULT_TRACES_SAMPLER.name,
      ratio: ratio >= 0 && ratio <= 1 ? ratio : 1,
    },
  };
}
