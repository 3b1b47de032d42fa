/**
 * "Usable but not visible" (可用不可见) against a determined app: a
 * verification field (one whose only requirement is an `AGENCY:verify`
 * scope) answers yes/no, so asking it with many thresholds would bisect the
 * value it hides. Hence:
 *
 * - within one request, each verification field is evaluated at most once per
 *   citizen: the same field for the same citizen with other arguments is
 *   refused (FORBIDDEN, reason VERIFICATION_LIMIT); the same arguments under
 *   two aliases count once. A verification field under a relation (`spouse`,
 *   `owners`, ...) names a citizen only execution would know, so it is
 *   refused the same way;
 * - across requests, each (app, citizen, field) may use at most
 *   `VERIFY_DISTINCT_ARGS` distinct argument values per `VERIFY_WINDOW`
 *   (reason VERIFICATION_BUDGET), kept by a shared `VerificationBudget`.
 *
 * Every evaluation and refusal is returned for the audit record, with the
 * app's arguments (its thresholds), never the answer.
 */
import { ForbiddenReason } from "../../platform/forbiddenReason.ts";
import type { VerificationUse } from "../audit/AuditEntry.ts";
import { sanitizeAuditText } from "../audit/sanitizeAuditText.ts";
import type { AuthorizationDecision } from "./createOperationAuthorizer.ts";
import type { VerificationRequest } from "./inspectArguments.ts";

/** One evaluation of a verification field: for whom, which field, with which arguments. */
export interface VerificationBudgetUse {
  citizen: string;
  coordinate: string;
  /** The canonical text of the arguments (see canonicalArguments). */
  argumentsKey: string;
}

export interface VerificationBudget {
  /**
   * Records the uses of one request by `app`, all in one round trip.
   * @returns per use, in order: false when it would exceed the distinct arguments allowed in the window
   * @throws when the store cannot answer (the caller refuses: never fail open)
   */
  take(app: string, uses: VerificationBudgetUse[]): Promise<boolean[]>;
  close(): Promise<void>;
}

/** What the citizen of a verification under a relation is recorded as. */
export const CITIZEN_UNKNOWN = "(through a relation)";

export interface LimitVerificationsInput {
  decision: AuthorizationDecision;
  verifications: VerificationRequest[];
  app: string;
  budget: VerificationBudget;
  pseudonymize(citizenId: string): string;
}

export interface LimitedVerifications {
  /** Response paths (joined by NUL) to deny for this request, with why. */
  denials: Map<string, ForbiddenReason>;
  uses: VerificationUse[];
}

/** A stable text of argument values: keys sorted at every level. */
export function canonicalArguments(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalArguments).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalArguments((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function recordedArguments(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, typeof v === "string" ? sanitizeAuditText(v) : v]));
}

const keyOf = (path: string[]) => path.join("\u0000");

export async function limitVerifications(input: LimitVerificationsInput): Promise<LimitedVerifications> {
  const denials = new Map<string, ForbiddenReason>();
  const uses: VerificationUse[] = [];
  if (input.verifications.length === 0) return { denials, uses };
  // A verification field denied for its scope (or under a denied parent) is not evaluated at all.
  const scopeDenied = input.decision.denied.map((d) => keyOf(d.path));
  const isScopeDenied = (path: string[]) => {
    const key = keyOf(path);
    return scopeDenied.some((denied) => key === denied || key.startsWith(`${denied}\u0000`));
  };
  const firstArguments = new Map<string, string>();
  const evaluations = new Map<string, { coordinate: string; citizen: string; arguments: Record<string, unknown>; argumentsKey: string; paths: string[] }>();
  for (const request of input.verifications) {
    if (isScopeDenied(request.path)) continue;
    const pathKey = keyOf(request.path);
    const argumentsKey = canonicalArguments(request.arguments);
    if (request.citizens === null) {
      denials.set(pathKey, ForbiddenReason.VERIFICATION_LIMIT);
      uses.push({ coordinate: request.coordinate, citizen: CITIZEN_UNKNOWN, arguments: recordedArguments(request.arguments), refused: ForbiddenReason.VERIFICATION_LIMIT });
      continue;
    }
    for (const citizen of request.citizens) {
      const pseudonym = input.pseudonymize(citizen);
      const fieldKey = `${request.coordinate}\u0000${pseudonym}`;
      const first = firstArguments.get(fieldKey);
      if (first === undefined) firstArguments.set(fieldKey, argumentsKey);
      if (first !== undefined && first !== argumentsKey) {
        denials.set(pathKey, ForbiddenReason.VERIFICATION_LIMIT);
        uses.push({ coordinate: request.coordinate, citizen: pseudonym, arguments: recordedArguments(request.arguments), refused: ForbiddenReason.VERIFICATION_LIMIT });
        continue;
      }
      const evaluation = evaluations.get(fieldKey) ?? { coordinate: request.coordinate, citizen: pseudonym, arguments: request.arguments, argumentsKey, paths: [] };
      evaluation.paths.push(pathKey);
      evaluations.set(fieldKey, evaluation);
    }
  }
  const evaluated = [...evaluations.values()]
    .map((evaluation) => ({ ...evaluation, paths: evaluation.paths.filter((path) => !denials.has(path)) }))
    .filter((evaluation) => evaluation.paths.length > 0);
  let answers: boolean[];
  try {
    answers = evaluated.length === 0 ? [] : await input.budget.take(input.app, evaluated);
  } catch {
    answers = []; // a budget that cannot be checked is spent
  }
  evaluated.forEach((evaluation, index) => {
    const allowed = answers[index] === true;
    if (!allowed) for (const path of evaluation.paths) denials.set(path, ForbiddenReason.VERIFICATION_BUDGET);
    uses.push({
      coordinate: evaluation.coordinate,
      citizen: evaluation.citizen,
      arguments: recordedArguments(evaluation.arguments),
      refused: allowed ? null : ForbiddenReason.VERIFICATION_BUDGET,
    });
  });
  return { denials, uses };
}
