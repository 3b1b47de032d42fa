/**
 * The gateway's per-request features that configuration may switch off, all
 * on by default. They exist so an operator can shed one under an incident and
 * so the bench can run one row per feature off (its cost per request,
 * `npm run bench`); access control, the audit log and the token checks are
 * never among them.
 *
 * - `RECEIPTS_ENABLED` (true): a signed receipt in `extensions.receipt` of
 *   every response that releases data
 * - `METRICS_ENABLED` (true): Prometheus counters and histograms per request,
 *   served on METRICS_PORT; off: nothing is counted and no metrics port opens
 * - `ACCESS_LOG_ENABLED` (true): one log line per request (at info); off:
 *   other logs still follow LOG_LEVEL
 * - `VERIFICATION_BUDGETS_ENABLED` (true): the shared per-(app, citizen, field)
 *   budget of verification arguments (Redis or the audit database); off: only
 *   the per-request limit on verification fields applies
 *
 * Traces follow the OTEL_* settings (no endpoint: none; OTEL_TRACES_SAMPLER
 * and its argument: which requests), logs follow LOG_LEVEL.
 */
import type { EnvReader } from "../platform/EnvReader.ts";

export interface GatewayFeatures {
  receipts: boolean;
  metrics: boolean;
  verificationBudgets: boolean;
  accessLog: boolean;
}

/** Every feature on: the default, and what production runs. */
export const ALL_FEATURES_ON: Readonly<GatewayFeatures> = Object.freeze({ receipts: true, metrics: true, verificationBudgets: true, accessLog: true });

/** The environment variable that switches each feature. */
export const FEATURE_VARIABLES: Readonly<Record<keyof GatewayFeatures, string>> = Object.freeze({
  receipts: "RECEIPTS_ENABLED",
  metrics: "METRICS_ENABLED",
  verificationBudgets: "VERIFICATION_BUDGETS_ENABLED",
  accessLog: "ACCESS_LOG_ENABLED",
});

export function readGatewayFeatures(reader: EnvReader): Readonly<GatewayFeatures> {
  const features = { ...ALL_FEATURES_ON };
  for (const name of Object.keys(FEATURE_VARIABLES) as Array<keyof GatewayFeatures>) {
    features[name] = reader.boolean(FEATURE_VARIABLES[name], ALL_FEATURES_ON[name]);
  }
  return Object.freeze(features);
}
