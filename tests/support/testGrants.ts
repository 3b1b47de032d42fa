/**
 * The (app, purpose) pairs the suites' tokens use. Once grants are enforced
 * every app needs the owning agencies' grant for its purpose, so
 * startSystem grants each of these every scope of the catalog, through the
 * gateway's API (an operator applies, the agencies' approver approves).
 * A suite with an app of its own adds it here or passes `grants` to startSystem.
 */
import { STANDARD_SCOPES } from "./standardScopes.ts";

export interface TestGrant {
  app: string;
  purpose: string;
  /** @default every scope of the standard */
  scopes?: readonly string[];
}

const pairs: Array<[app: string, purposes: string[]]> = [
  ["app:integration-tests", ["INTEGRATION_TEST"]],
  ["app:access-control-tests", ["ACCESS_CONTROL_TEST"]],
  ["app:access-property", ["PROPERTY_TEST"]],
  ["app:token-attacks", ["TOKEN_ATTACK_TEST"]],
  ["app:audit-cli-test", ["CLI_TEST"]],
  ["app:audit-cli", ["CLI_TEST"]],
  ["app:audit-allowed", ["HOUSING_LOAN_REVIEW"]],
  ["app:audit-partial", ["AUDIT_LOG_TEST"]],
  ["app:audit-denied", ["AUDIT_LOG_TEST"]],
  ["app:audit-denied-2", ["AUDIT_LOG_TEST"]],
  ["app:audit-failed", ["AUDIT_LOG_TEST"]],
  ["app:audit-failed-2", ["AUDIT_LOG_TEST"]],
  ["app:audit-invalid", ["AUDIT_LOG_TEST"]],
  ["app:audit-spouse", ["AUDIT_LOG_TEST"]],
  ["app:audit-paged", ["PAGING_TEST"]],
  ["app:not-an-auditor", ["AUDIT_LOG_TEST"]],
  ["app:reads-li-wei", ["LI_WEI_LOAN"]],
  ["app:reads-zhang-min-only", ["ZHANG_MIN_ONLY"]],
  ["app:citizen-portal", ["AUDIT_LOG_TEST", "SELF_SERVICE"]],
  ["app:load-test", ["LOAD_ALLOWED", "LOAD_DENIED", "LOAD_PARTIAL", "LOAD_BAD", "LOAD_INVALID"]],
  ["app:tamper-traffic", ["TAMPER_TEST"]],
  ["app:hostile-input", ["SECURITY_TEST"]],
  ["app:agency-developer", ["SECURITY_TEST"]],
  ["app:narrow", ["SECURITY_TEST"]],
  ["app:bound", ["SECURITY_TEST"]],
  ["app:safelisted", ["SECURITY_TEST"]],
  ["app:generous", ["SECURITY_TEST"]],
  ["app:limited", ["SECURITY_TEST"]],
  ["app:bystander", ["SECURITY_TEST"]],
  ["app:refill", ["SECURITY_TEST"]],
  ["app:jwks-outage", ["TEST"]],
  ["app:auditor", ["AUDIT_REVIEW"]],
  ["app:counter-desk", ["HPF_WITHDRAWAL_HOME_PURCHASE"]],
  ["app:anonymous-desk", ["HPF_WITHDRAWAL_HOME_PURCHASE"]],
  ["app:receipts-test", ["RECEIPT_TEST"]],
  ["app:demo", ["DEMO"]],
  ["app:bench", ["BENCH"]],
];

/** Every pair the existing suites use, each with every scope of the standard. */
export const DEFAULT_TEST_GRANTS: readonly TestGrant[] = pairs.flatMap(([app, purposes]) => purposes.map((purpose) => ({ app, purpose })));

export function scopesOfTestGrant(grant: TestGrant): readonly string[] {
  return grant.scopes ?? STANDARD_SCOPES;
}
