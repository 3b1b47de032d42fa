/**
 * The (app, purpose) pairs the suites' tokens use. Once grants are enforced
 * every app needs the owning agencies' grant for its purpose, so
 * startSystem grants them every scope of the standard through the gateway's
 * API (an operator applies, the agencies' approver approves). Each step is an
 * audit record, so a suite gets only its own pairs (by its `suite` name)
 * plus the default token's; a suite name not listed here gets every pair.
 * A suite with an app of its own adds it here or passes `grants` to startSystem.
 */
import { STANDARD_SCOPES } from "./standardScopes.ts";

export interface TestGrant {
  app: string;
  purpose: string;
  /** @default every scope of the standard */
  scopes?: readonly string[];
}

/** startSystem's default token (`allScopesToken`): every suite gets it. */
export const DEFAULT_TOKEN_GRANT: TestGrant = { app: "app:integration-tests", purpose: "INTEGRATION_TEST" };

const SECURITY = "SECURITY_TEST";
const AUDIT_LOG = "AUDIT_LOG_TEST";

/** By suite name: the pairs its tokens use besides the default token. */
const BY_SUITE: Record<string, Array<[app: string, purpose: string]>> = {
  "access-control": [["app:access-control-tests", "ACCESS_CONTROL_TEST"]],
  "access-control-reject": [["app:access-control-tests", "ACCESS_CONTROL_TEST"]],
  "access-property": [["app:access-property", "PROPERTY_TEST"]],
  "token-attacks": [["app:token-attacks", "TOKEN_ATTACK_TEST"]],
  cli: [["app:audit-cli-test", "CLI_TEST"]],
  "cli-pglite": [["app:audit-cli-test", "CLI_TEST"]],
  "audit-log": [
    ["app:audit-allowed", "HOUSING_LOAN_REVIEW"],
    ["app:audit-partial", AUDIT_LOG],
    ["app:audit-denied", AUDIT_LOG],
    ["app:audit-denied-2", AUDIT_LOG],
    ["app:audit-failed", AUDIT_LOG],
    ["app:audit-failed-2", AUDIT_LOG],
    ["app:audit-invalid", AUDIT_LOG],
    ["app:audit-spouse", AUDIT_LOG],
    ["app:audit-paged", "PAGING_TEST"],
    ["app:not-an-auditor", AUDIT_LOG],
    ["app:reads-li-wei", "LI_WEI_LOAN"],
    ["app:reads-zhang-min-only", "ZHANG_MIN_ONLY"],
    ["app:citizen-portal", AUDIT_LOG],
    ["app:citizen-portal", "SELF_SERVICE"],
    ["app:load-test", "LOAD_ALLOWED"],
    ["app:load-test", "LOAD_DENIED"],
    ["app:load-test", "LOAD_PARTIAL"],
    ["app:load-test", "LOAD_BAD"],
    ["app:load-test", "LOAD_INVALID"],
  ],
  "audit-tamper": [["app:tamper-traffic", "TAMPER_TEST"]],
  failclosed: [],
  "security-hostile": [
    ["app:hostile-input", SECURITY],
    ["app:agency-developer", SECURITY],
    ["app:narrow", SECURITY],
    ["app:bound", SECURITY],
  ],
  "security-guards": [
    ["app:hostile-input", SECURITY],
    ["app:safelisted", SECURITY],
    ["app:generous", SECURITY],
    ["app:limited", SECURITY],
    ["app:bystander", SECURITY],
    ["app:refill", SECURITY],
  ],
  "security-failing": [["app:hostile-input", SECURITY]],
  "security-loopback": [["app:hostile-input", SECURITY]],
  "security-fails-closed": [
    ["app:hostile-input", SECURITY],
    ["app:fails-closed", SECURITY],
    ["app:fails-closed-2", SECURITY],
  ],
  "security-mistakes": [
    ["app:hostile-input", SECURITY],
    ["app:client-mistakes", SECURITY],
    ["app:graphql-http-audit", SECURITY],
  ],
  "security-scalars": [
    ["app:hostile-input", SECURITY],
    ["app:scalar-variables", SECURITY],
  ],
  "security-tokens": [
    ["app:hostile-input", SECURITY],
    ["app:two-headers", SECURITY],
    ["app:cli", "TEST"],
  ],
  "security-recorded": [
    ["app:hostile-input", SECURITY],
    ["app:recorded", SECURITY],
    ["app:lookup-by-variable", SECURITY],
    ["app:citizen-self", SECURITY],
    ["app:bound-auditor", SECURITY],
    ["app:auditor", SECURITY],
  ],
  "security-throttle": [["app:hostile-input", SECURITY]],
  "security-audit-after": [
    ["app:hostile-input", SECURITY],
    ["app:attacker", SECURITY],
  ],
  // Each test's app is fresh (its own verification budget) and is granted where it is made.
  "security-verification": [["app:hostile-input", SECURITY]],
  browser: [
    ["app:counter-desk", "HPF_WITHDRAWAL_HOME_PURCHASE"],
    ["app:anonymous-desk", "HPF_WITHDRAWAL_HOME_PURCHASE"],
  ],
  receipts: [["app:receipts-test", "RECEIPT_TEST"]],
  "client-libraries": [["app:client-libraries", "CLIENT_LIBRARY_TEST"]],
  "schema-introspection": [["app:agency-developer", "SCHEMA_DEVELOPMENT"]],
  "browser-graphiql": [["app:agency-developer", "SCHEMA_DEVELOPMENT"]],
  insights: [["app:live-prober", "LOAN_PRECHECK"]],
  "ops-metrics": [["app:hostile-input", SECURITY]],
  "ops-traces": [],
  hpf_app: [["app:hpf-withdrawal", "HPF_WITHDRAWAL_LOAN_REPAYMENT"]],
  hpf_browser: [["app:hpf-withdrawal", "HPF_WITHDRAWAL_LOAN_REPAYMENT"]],
  demo: [],
  down: [],
  nplus1: [],
  "browser-apps": [],
  "ops-logs": [],
  // Their apps are granted on the gateway processes' own databases (tests/operations/shutdown.test.ts, replicas.test.ts).
  "ops-shutdown": [],
  "ops-replicas": [],
  "ops-own-deadline": [],
};

/** The pairs startSystem grants for a suite by default. */
export function defaultTestGrants(suite: string): TestGrant[] {
  const own = BY_SUITE[suite] ?? Object.values(BY_SUITE).flat();
  const pairs = new Map<string, TestGrant>([[`${DEFAULT_TOKEN_GRANT.app}\n${DEFAULT_TOKEN_GRANT.purpose}`, DEFAULT_TOKEN_GRANT]]);
  for (const [app, purpose] of own) pairs.set(`${app}\n${purpose}`, { app, purpose });
  return [...pairs.values()];
}

export function scopesOfTestGrant(grant: TestGrant): readonly string[] {
  return grant.scopes ?? STANDARD_SCOPES;
}
