/**
 * A grant for a verification scope may fix the arguments it allows, e.g.
 * `Citizen.incomeAtLeast` only with `amount: "100000.00"` for a loan purpose
 * (gateway/governance/). A verification asked with other arguments is
 * refused (FORBIDDEN, reason GRANT_ARGUMENTS) before it is evaluated or
 * counted against the app's budget; the refusal is recorded with the app's
 * arguments like any verification use.
 */
import { ForbiddenReason } from "../../platform/forbiddenReason.ts";
import type { VerificationUse } from "../audit/AuditEntry.ts";
import type { VerificationRequest } from "./inspectArguments.ts";
import { CITIZEN_UNKNOWN } from "./limitVerifications.ts";

export interface UngrantedArguments {
  /** The verifications whose arguments the grants allow (or do not fix). */
  allowed: VerificationRequest[];
  /** Response paths (joined by NUL) refused, with GRANT_ARGUMENTS. */
  denials: Map<string, ForbiddenReason>;
  uses: VerificationUse[];
}

/** Values are compared as text: Money and String as sent, Int as its digits. */
function matches(fixed: Readonly<Record<string, unknown>>, given: Record<string, unknown>): boolean {
  return Object.entries(fixed).every(([name, value]) => given[name] !== undefined && given[name] !== null && String(given[name]) === String(value));
}

export function refuseUngrantedArguments(
  verifications: readonly VerificationRequest[],
  fixedArguments: ReadonlyMap<string, Readonly<Record<string, unknown>>> | undefined,
  pseudonymize: (citizenId: string) => string,
): UngrantedArguments {
  const result: UngrantedArguments = { allowed: [], denials: new Map(), uses: [] };
  for (const verification of verifications) {
    const fixed = fixedArguments?.get(verification.coordinate);
    if (!fixed || matches(fixed, verification.arguments)) {
      result.allowed.push(verification);
      continue;
    }
    result.denials.set(verification.path.join("\u0000"), ForbiddenReason.GRANT_ARGUMENTS);
    for (const citizen of verification.citizens ?? [null]) {
      result.uses.push({
        coordinate: verification.coordinate,
        citizen: citizen === null ? CITIZEN_UNKNOWN : pseudonymize(citizen),
        arguments: verification.arguments,
        refused: ForbiddenReason.GRANT_ARGUMENTS,
      });
    }
  }
  return result;
}
