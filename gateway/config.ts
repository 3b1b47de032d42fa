/**
 * The gateway's configuration, read once from the environment. Every bad
 * variable is named in one ConfigError.
 *
 * - `HOST` (127.0.0.1), `PORT` (4000)
 * - `SUPERGRAPH_PATH` (schema/supergraph.graphql)
 * - `<NAME>_SUBGRAPH_URL`, e.g. `TAX_SUBGRAPH_URL`: where an agency's subgraph
 *   is; default: the URL composed into the supergraph
 * - `SUBGRAPH_TIMEOUT_MS` (5000): the longest an agency's subgraph fetch may take
 * - `OWN_SUBGRAPH_TIMEOUT_MS` (30000): the same for the gateway's own subgraphs (audit,
 *   governance), which it serves itself: their queries scan the audit log and write grants
 * - `SUBGRAPH_MAX_RESPONSE_BYTES` (32 MiB): the largest answer the gateway reads from a
 *   subgraph; a larger one fails that fetch (SUBGRAPH_UNAVAILABLE) and closes its connection
 * - `MAX_BODY_BYTES` (1 MiB)
 * - `JWKS` (`DATA_DIR/keys/dev-issuer.jwks.json`): the identity provider's
 *   JWKS, a file path or an https URL
 * - `TOKEN_ISSUER`, `TOKEN_AUDIENCE`: the `iss` and `aud` app tokens must carry
 * - `CLOCK_TOLERANCE_SECONDS` (30)
 * - `GATEWAY_SIGNING_KEY` (`DATA_DIR/keys/gateway.private.jwk.json`): the
 *   gateway's own private JWK, for subgraph tokens
 * - `RECEIPT_SIGNING_KEY` (`DATA_DIR/keys/receipts.private.jwk.json`): the
 *   gateway's Ed25519 private JWK that signs receipts (`extensions.receipt`)
 * - `AUTHZ_MODE` (`filter`): `filter` drops denied fields, `reject` refuses
 *   the whole operation
 * - `GATEWAY_DATABASE_URL` / `DATABASE_URL` / PGlite `DATA_DIR/gateway`: the audit log
 * - `AUDIT_PSEUDONYM_KEY` (`DATA_DIR/keys/audit-pseudonym.key`): the HMAC
 *   secret citizen ids are pseudonymised with
 * - `AUDIT_HEADS` (`DATA_DIR/audit-heads.jsonl`): where signed chain heads are appended
 * - `AUDIT_HEAD_INTERVAL_MS` (10000): how often the chain head is signed
 * - `AUDIT_ARCHIVE_DIR` (`DATA_DIR/audit-archive`): where `npm run audit -- archive` writes months
 * - `AUDIT_RETENTION_MONTHS` (none: keep all): months kept in the database (PostgreSQL); older
 *   partitions are dropped daily, and only once archived and verified
 * - `MAX_DEPTH` (12), `MAX_ALIASES` (30), `MAX_ROOT_FIELDS` (10),
 *   `MAX_DIRECTIVES` (20), `MAX_FIELDS` (2000), `MAX_TOKENS` (5000),
 *   `MAX_COST` (20000): the shape an operation may have
 * - `APP_REGISTRY`: JSON file of per-app safelists and rate limits (see guard/appRegistry.ts)
 * - `RATE_LIMIT_PER_SECOND` (200), `RATE_LIMIT_BURST` (400): each app's default token bucket
 * - `REDIS_URL`: share rate-limit buckets between gateway processes
 * - `CIRCUIT_FAILURE_THRESHOLD` (5), `CIRCUIT_RESET_MS` (10000): per-subgraph circuit breaker
 * - `VERIFY_DISTINCT_ARGS` (3), `VERIFY_WINDOW` (24h): distinct arguments each
 *   (app, citizen, verification field) may use per window
 * - `MAX_TOKEN_LIFETIME` (1h): the longest `exp - iat` an app token may have
 * - `UNAUTHENTICATED_RATE_PER_SECOND` (20), `UNAUTHENTICATED_RATE_BURST` (40):
 *   token bucket per client address for requests without a valid token
 * - `TRUSTED_PROXIES` (none): comma-separated proxy addresses whose
 *   `X-Forwarded-For` names the client
 * - Audit anomaly rules (see audit/insights/AnomalyThresholds.ts): `ANOMALY_DISTINCT_CITIZENS_FACTOR` (3),
 *   `ANOMALY_DISTINCT_CITIZENS_MIN` (20), `ANOMALY_PROBING_THRESHOLDS` (4), `ANOMALY_DENIAL_JUMP_PERCENT` (30),
 *   `ANOMALY_DENIAL_MIN_REQUESTS` (10), `AUDIT_SERVICE_HOURS` (`8-20`), `AUDIT_TIME_ZONE` (`Asia/Shanghai`),
 *   `ANOMALY_OFF_HOURS_MIN_READS` (5), `ANOMALY_DRIFT_MIN_HISTORY` (20), `ANOMALY_DRIFT_USUAL_PERCENT` (1)
 * - `AUDIT_ROLLUP_INTERVAL_MS` (60000): how often the audit rollups catch up with the log; 0: only when viewed
 * - `LOG_LEVEL` (info): fatal, error, warn, info, debug, trace or silent
 * - `METRICS_HOST` (127.0.0.1), `METRICS_PORT` (9400): where Prometheus text is served, never the public port
 * - `OTEL_EXPORTER_OTLP_ENDPOINT`: export traces over OTLP/HTTP there; unset: no traces leave the process
 * - `OTEL_SERVICE_NAME` (gateway)
 * - `SHUTDOWN_GRACE_MS` (8000): how long SIGTERM waits for in-flight requests
 * - `CORS_ORIGINS` (none): comma-separated origins of browser apps allowed to call the gateway
 * - `OTEL_TRACES_SAMPLER` (parentbased_always_on), `OTEL_TRACES_SAMPLER_ARG` (1): which requests are traced
 *   when traces are exported (always_on, always_off, traceidratio and their parentbased_ forms)
 * - `RECEIPTS_ENABLED` (true), `METRICS_ENABLED` (true), `VERIFICATION_BUDGETS_ENABLED` (true),
 *   `ACCESS_LOG_ENABLED` (true): per-request features that
 *   can be switched off (the bench measures each one's cost; see features.ts)
 *
 * Durations are seconds, or a number with `s`, `m`, `h` or `d`.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvReader } from "../platform/EnvReader.ts";
import { readObservabilityConfig, type ObservabilityConfig } from "../platform/observability/readObservabilityConfig.ts";
import { devKeyPaths } from "../platform/security/keys.ts";
import type { DatabaseLocation } from "../platform/database/databaseUrl.ts";
import type { RateLimit } from "./guard/appRegistry.ts";
import { readAnomalyThresholds } from "./audit/insights/readAnomalyThresholds.ts";
import type { AnomalyThresholds } from "./audit/insights/AnomalyThresholds.ts";
import { readGatewayFeatures, type GatewayFeatures } from "./features.ts";
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from "./guard/operationLimits.ts";

export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** Subgraph URL overrides by subgraph name, e.g. `{ tax: "http://10.0.0.4/graphql" }`. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** Deadline of an agency's subgraph fetch. */
  subgraphTimeoutMs: number;
  /** Deadline of a fetch from the gateway's own subgraphs (audit, governance). */
  ownSubgraphTimeoutMs: number;
  /** The largest response (head and body) read from a subgraph. */
  subgraphMaxResponseBytes: number;
  maxBodyBytes: number;
  jwks: string;
  tokenIssuer: string;
  tokenAudience: string;
  clockToleranceSeconds: number;
  signingKeyPath: string;
  /** The Ed25519 private JWK that signs receipts. */
  receiptKeyPath: string;
  authorizationMode: "filter" | "reject";
  auditDatabase: DatabaseLocation;
  auditPseudonymKeyPath: string;
  auditHeadsPath: string;
  auditHeadIntervalMs: number;
  auditArchiveDir: string;
  /** Months of partitions kept (the current one included); undefined keeps all. */
  auditRetentionMonths: number | undefined;
  limits: OperationLimits;
  appRegistryPath: string | undefined;
  rateLimit: RateLimit;
  redisUrl: string | undefined;
  circuitFailureThreshold: number;
  circuitResetMs: number;
  /** Verification budget per (app, citizen, field). */
  verifyDistinctArguments: number;
  verifyWindowMs: number;
  maxTokenLifetimeSeconds: number;
  /** Token bucket per client address for requests without a valid token. */
  unauthenticatedRateLimit: RateLimit;
  trustedProxies: readonly string[];
  /** Thresholds of the audit anomaly rules. */
  anomalies: Readonly<AnomalyThresholds>;
  /** How often the audit rollups catch up with the log; 0: only when a view asks. */
  auditRollupIntervalMs: number;
  /** Logs, metrics and traces (LOG_LEVEL, METRICS_*, OTEL_*). */
  observability: ObservabilityConfig;
  /** How long SIGTERM waits for in-flight requests before closing them. */
  shutdownGraceMs: number;
  /** Exact origins (`scheme://host[:port]`) browser apps may call from; empty: no CORS. */
  corsOrigins: readonly string[];
  /** Per-request features, all on unless switched off. */
  features: Readonly<GatewayFeatures>;
}

/** Defaults of the dev issuer that `npm run token` signs as. */
export const DEV_TOKEN_ISSUER = "urn:gov-data-gateway:dev-issuer";
export const DEFAULT_TOKEN_AUDIENCE = "urn:gov-data-gateway";

const DEFAULT_SUPERGRAPH = fileURLToPath(new URL("../schema/supergraph.graphql", import.meta.url));
const SUBGRAPH_URL_VARIABLE = /^([A-Z][A-Z0-9_]*)_SUBGRAPH_URL$/;

/** @throws ConfigError naming every bad variable */
export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): Readonly<GatewayConfig> {
  const reader = new EnvReader(env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const match = SUBGRAPH_URL_VARIABLE.exec(name);
    if (match && env[name]) subgraphUrls[match[1]!.toLowerCase().replace(/_/g, "-")] = reader.httpUrl(name, "");
  }
  const config: GatewayConfig = {
    host: reader.string("HOST", "127.0.0.1"),
    port: reader.port("PORT", 4000),
    supergraphPath: resolve(reader.string("SUPERGRAPH_PATH", DEFAULT_SUPERGRAPH)),
    subgraphUrls: Object.freeze(subgraphUrls),
    subgraphTimeoutMs: reader.integer("SUBGRAPH_TIMEOUT_MS", 5000, 50, 120_000),
    ownSubgraphTimeoutMs: reader.integer("OWN_SUBGRAPH_TIMEOUT_MS", 30_000, 50, 600_000),
    subgraphMaxResponseBytes: reader.integer("SUBGRAPH_MAX_RESPONSE_BYTES", 32 * 1_048_576, 65_536, 1024 * 1_048_576),
    maxBodyBytes: reader.integer("MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
    jwks: "",
    tokenIssuer: reader.string("TOKEN_ISSUER", DEV_TOKEN_ISSUER),
    tokenAudience: reader.string("TOKEN_AUDIENCE", DEFAULT_TOKEN_AUDIENCE),
    clockToleranceSeconds: reader.integer("CLOCK_TOLERANCE_SECONDS", 30, 0, 300),
    signingKeyPath: "",
    receiptKeyPath: "",
    authorizationMode: "filter",
    auditDatabase: reader.database("gateway"),
    auditPseudonymKeyPath: "",
    auditHeadsPath: resolve(reader.string("AUDIT_HEADS", resolve(reader.string("DATA_DIR", ".data"), "audit-heads.jsonl"))),
    auditHeadIntervalMs: reader.integer("AUDIT_HEAD_INTERVAL_MS", 10_000, 100, 3_600_000),
    auditArchiveDir: resolve(reader.string("AUDIT_ARCHIVE_DIR", resolve(reader.string("DATA_DIR", ".data"), "audit-archive"))),
    auditRetentionMonths: reader.optional("AUDIT_RETENTION_MONTHS") === undefined ? undefined : reader.integer("AUDIT_RETENTION_MONTHS", 0, 1, 1200),
    limits: {
      maxDepth: reader.integer("MAX_DEPTH", DEFAULT_OPERATION_LIMITS.maxDepth, 1, 100),
      maxAliases: reader.integer("MAX_ALIASES", DEFAULT_OPERATION_LIMITS.maxAliases, 0, 10_000),
      maxRootFields: reader.integer("MAX_ROOT_FIELDS", DEFAULT_OPERATION_LIMITS.maxRootFields, 1, 1000),
      maxDirectives: reader.integer("MAX_DIRECTIVES", DEFAULT_OPERATION_LIMITS.maxDirectives, 0, 10_000),
      maxFields: reader.integer("MAX_FIELDS", DEFAULT_OPERATION_LIMITS.maxFields, 1, 1_000_000),
      maxTokens: reader.integer("MAX_TOKENS", DEFAULT_OPERATION_LIMITS.maxTokens, 10, 1_000_000),
      maxCost: reader.integer("MAX_COST", DEFAULT_OPERATION_LIMITS.maxCost, 1, 100_000_000),
    },
    appRegistryPath: reader.optional("APP_REGISTRY"),
    rateLimit: {
      perSecond: reader.integer("RATE_LIMIT_PER_SECOND", 200, 1, 1_000_000),
      burst: reader.integer("RATE_LIMIT_BURST", 400, 1, 10_000_000),
    },
    redisUrl: reader.optional("REDIS_URL"),
    circuitFailureThreshold: reader.integer("CIRCUIT_FAILURE_THRESHOLD", 5, 1, 1000),
    circuitResetMs: reader.integer("CIRCUIT_RESET_MS", 10_000, 100, 3_600_000),
    verifyDistinctArguments: reader.integer("VERIFY_DISTINCT_ARGS", 3, 1, 1000),
    verifyWindowMs: duration(reader, "VERIFY_WINDOW", 24 * 3600, 1, 366 * 86_400) * 1000,
    maxTokenLifetimeSeconds: duration(reader, "MAX_TOKEN_LIFETIME", 3600, 1, 7 * 86_400),
    unauthenticatedRateLimit: {
      perSecond: reader.integer("UNAUTHENTICATED_RATE_PER_SECOND", 20, 1, 1_000_000),
      burst: reader.integer("UNAUTHENTICATED_RATE_BURST", 40, 1, 10_000_000),
    },
    trustedProxies: Object.freeze(
      (reader.optional("TRUSTED_PROXIES") ?? "")
        .split(",")
        .map((address) => address.trim())
        .filter(Boolean),
    ),
    anomalies: readAnomalyThresholds(reader),
    auditRollupIntervalMs: reader.integer("AUDIT_ROLLUP_INTERVAL_MS", 60_000, 0, 86_400_000),
    observability: readObservabilityConfig(reader, { service: "gateway", metricsPort: 9400 }),
    shutdownGraceMs: reader.integer("SHUTDOWN_GRACE_MS", 8_000, 0, 60_000),
    corsOrigins: [],
    features: readGatewayFeatures(reader),
  };
  const corsOrigins = (reader.optional("CORS_ORIGINS") ?? "").split(",").map((origin) => origin.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    // An allow-list: no wildcard (credentials are allowed, and may never be for `*`), no paths.
    if (!/^https?:\/\/[^/\s*]+$/.test(origin)) reader.problem(`CORS_ORIGINS must list origins like https://app.example.gov.cn (no "*", no path), got ${JSON.stringify(origin)}`);
  }
  config.corsOrigins = Object.freeze(corsOrigins);
  if (config.redisUrl && !/^rediss?:\/\//.test(config.redisUrl)) reader.problem("REDIS_URL must be a redis:// or rediss:// URL");
  const keys = devKeyPaths(resolve(reader.string("DATA_DIR", ".data")));
  config.jwks = reader.string("JWKS", keys.issuerJwks);
  // Plain http only on this machine's loopback (development, tests); an identity provider is reached over https.
  const loopbackHttp = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\//.test(config.jwks);
  if (/^http:\/\//.test(config.jwks) && !loopbackHttp) reader.problem("JWKS must be a file path or an https:// URL");
  else if (!/^https?:\/\//.test(config.jwks)) config.jwks = resolve(config.jwks);
  config.signingKeyPath = resolve(reader.string("GATEWAY_SIGNING_KEY", keys.gatewayPrivate));
  config.receiptKeyPath = resolve(reader.string("RECEIPT_SIGNING_KEY", keys.receiptPrivate));
  config.auditPseudonymKeyPath = resolve(reader.string("AUDIT_PSEUDONYM_KEY", keys.auditPseudonymKey));
  const mode = reader.string("AUTHZ_MODE", "filter");
  if (mode === "filter" || mode === "reject") config.authorizationMode = mode;
  else reader.problem(`AUTHZ_MODE must be filter or reject, got ${JSON.stringify(mode)}`);
  reader.finish("gateway");
  return Object.freeze(config);
}

const DURATION = /^(\d+)\s*(s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration in whole seconds: `90`, `90s`, `30m`, `24h`, `7d`. */
function duration(reader: EnvReader, name: string, fallbackSeconds: number, min: number, max: number): number {
  const text = reader.string(name, String(fallbackSeconds)).trim();
  const match = DURATION.exec(text);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] ?? "s"]! : NaN;
  if (!(seconds >= min && seconds <= max)) {
    reader.problem(`${name} must be a duration between ${min} and ${max} seconds (e.g. 3600, 60m, 1h), got ${JSON.stringify(text.slice(0, 40))}`);
    return fallbackSeconds;
  }
  return seconds;
}
