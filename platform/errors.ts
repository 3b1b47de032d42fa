/**
 * The one error vocabulary of the gateway and every subgraph. Every error a
 * client can see carries one of these codes in `extensions.code`; anything
 * else is masked as INTERNAL_SERVER_ERROR by `normalizeError`.
 */
import { GraphQLError } from "graphql";

/** Stable `extensions.code` values, documented in the README. */
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  SUBGRAPH_UNAVAILABLE: "SUBGRAPH_UNAVAILABLE",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  /** The operation is deeper, wider or larger than the service allows (the message does not say which limit). */
  OPERATION_LIMIT_EXCEEDED: "OPERATION_LIMIT_EXCEEDED",
  /** The app may only send its registered operations, and this is not one. */
  OPERATION_NOT_SAFELISTED: "OPERATION_NOT_SAFELISTED",
  /** The app has used its request budget; retry after `Retry-After` seconds (HTTP 429). */
  RATE_LIMITED: "RATE_LIMITED",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class: a GraphQLError whose `extensions.code` is one of `ErrorCode`. */
export class ServiceError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = "ServiceError";
  }
}

/** The client sent a value the standard does not allow. */
export class BadUserInputError extends ServiceError {
  constructor(message: string) {
    super(ErrorCode.BAD_USER_INPUT, message);
  }
}
