/**
 * Why a field came back `null` with FORBIDDEN: `extensions.reason` on the
 * error, the same word in the audit record. One vocabulary for the gateway
 * and every subgraph; `normalizeError` lets only these through.
 */
export const ForbiddenReason = {
  /** The token's scopes do not satisfy the field's `@requiresScopes`. */
  SCOPE: "SCOPE",
  /** The token is bound to citizens (`citizens` claim) and this is not one of them. */
  CITIZEN_NOT_BOUND: "CITIZEN_NOT_BOUND",
  /** A verification field asked again for the same citizen with other arguments in one request. */
  VERIFICATION_LIMIT: "VERIFICATION_LIMIT",
  /** The app used up its distinct arguments for this citizen and verification field in the window. */
  VERIFICATION_BUDGET: "VERIFICATION_BUDGET",
  /** The app holds no active grant for this scope and the token's purpose. */
  NO_GRANT: "NO_GRANT",
  /** The grant fixes the arguments this verification field may be asked with, and these are others. */
  GRANT_ARGUMENTS: "GRANT_ARGUMENTS",
} as const;
export type ForbiddenReason = (typeof ForbiddenReason)[keyof typeof ForbiddenReason];

const REASONS = new Set<string>(Object.values(ForbiddenReason));

export function isForbiddenReason(value: unknown): value is ForbiddenReason {
  return typeof value === "string" && REASONS.has(value);
}
