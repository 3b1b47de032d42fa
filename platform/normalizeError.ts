/**
 * Shapes every error before it leaves a service: known codes pass with their
 * message, validation and parse errors keep graphql-js's message, and anything
 * else becomes a generic INTERNAL_SERVER_ERROR. Stack traces, driver messages
 * and subgraph details never reach the client.
 */
import type { GraphQLFormattedError } from "graphql";
import { ErrorCode } from "./errors.ts";
import { ForbiddenReason, isForbiddenReason } from "./forbiddenReason.ts";

const PASS_THROUGH_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  // Apollo Server's own request errors: their messages describe the request, not the server.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
]);

/** Apollo Server `formatError` hook: keep known codes, mask the rest. */
/** Whether an error with this `extensions.code` is masked as INTERNAL_SERVER_ERROR (and so must be logged). */
export function isInternalErrorCode(code: unknown): boolean {
  return typeof code !== "string" || !PASS_THROUGH_CODES.has(code) || code === ErrorCode.INTERNAL_SERVER_ERROR;
}

export function normalizeError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === "string" && PASS_THROUGH_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    return withOnlyCode(formatted, code);
  }
  return {
    message: "Internal server error",
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/**
 * graphql-js echoes a bad variable's value back, in its own words and in the
 * scalar's: keep the variable's name and drop the rest, unless the reason is
 * one of the standard's own scalar messages (which quote at most 40 escaped
 * characters of the bad value, as the data standard asks).
 */
const VARIABLE_ERROR = /^(Variable "\$[A-Za-z_][A-Za-z0-9_]*") got invalid value[\s\S]*?; ([\s\S]*)$|^(Variable "\$[A-Za-z_][A-Za-z0-9_]*") got invalid value[\s\S]*$/;
const STANDARD_REASON = /^(Money|Date|Month|CreditCode|DateTime) must |^Not a valid resident identity number/;
const MAX_MESSAGE = 300;

function withoutEchoedValues(message: string): string {
  const match = VARIABLE_ERROR.exec(message);
  if (!match) return message;
  const variable = match[1] ?? match[3]!;
  const reason = match[2];
  return reason && STANDARD_REASON.test(reason) ? `${variable} has an invalid value: ${reason}` : `${variable} has an invalid value`;
}

/**
 * Apollo Server's CSRF refusal is longer than MAX_MESSAGE, and cutting it
 * would hide the header names that fix the request; it is replaced by one
 * that fits. (Apollo's text is matched here only; tests/security pin it.)
 */
const APOLLO_CSRF_REFUSAL = "This operation has been blocked as a potential Cross-Site Request Forgery";
export const CSRF_REFUSAL_MESSAGE =
  "Blocked as a possible cross-site request forgery (CSRF): send the header 'apollo-require-preflight: true' " +
  "(or a non-empty 'x-apollo-operation-name'), or POST with 'content-type: application/json'";

function withOnlyCode(formatted: GraphQLFormattedError, code: string): GraphQLFormattedError {
  let message = formatted.message.startsWith(APOLLO_CSRF_REFUSAL) ? CSRF_REFUSAL_MESSAGE : withoutEchoedValues(formatted.message);
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 1)}…`;
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code, ...(code === ErrorCode.FORBIDDEN ? forbiddenDetail(formatted.extensions) : {}) },
  };
}

/**
 * What a FORBIDDEN error may say besides its code: why (one of the reason
 * vocabulary, SCOPE when unknown) and which scope sets would allow the field.
 */
function forbiddenDetail(extensions: Record<string, unknown> | undefined): Record<string, unknown> {
  const reason = isForbiddenReason(extensions?.reason) ? extensions.reason : ForbiddenReason.SCOPE;
  const required = extensions?.requiredScopes;
  const requiredScopes =
    Array.isArray(required) && required.every((set) => Array.isArray(set) && set.every((scope) => typeof scope === "string"))
      ? (required as string[][])
      : undefined;
  return { reason, ...(requiredScopes ? { requiredScopes } : {}) };
}
