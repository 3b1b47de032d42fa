import { ErrorCode, ServiceError } from "../../platform/errors.ts";
import type { OperationMeasure } from "./measureOperation.ts";

/** The shape an operation may have; configurable (see ../config.ts). */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
  /** Fields after fragment expansion. */
  maxFields: number;
  maxTokens: number;
  /** graphql-armor's cost model. */
  maxCost: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 10,
  maxDirectives: 20,
  maxFields: 2000,
  maxTokens: 5000,
  maxCost: 20000,
};

/** One generic refusal: the message does not say which limit or what it is. */
export function operationTooComplex(): ServiceError {
  return new ServiceError(ErrorCode.OPERATION_LIMIT_EXCEEDED, "Operation exceeds the limits of this service", { http: { status: 400 } });
}

export interface LimitOptions {
  /**
   * Whether introspection subtrees (`__schema`, `__type`) are exempt from the
   * depth limit: for callers holding `schema:introspect`, whose tools send
   * the standard introspection query (its type references nest deeper than
   * any data query may). The other limits still hold. @default false
   */
  introspectionDepthExempt?: boolean;
}

/** @throws ServiceError OPERATION_LIMIT_EXCEEDED when the measure breaks a limit */
export function assertWithinLimits(measure: OperationMeasure, limits: OperationLimits, options: LimitOptions = {}): void {
  const depth = options.introspectionDepthExempt ? measure.depthOutsideIntrospection : measure.depth;
  if (
    measure.fragmentCycle ||
    depth > limits.maxDepth ||
    measure.aliases > limits.maxAliases ||
    measure.rootFields > limits.maxRootFields ||
    measure.directives > limits.maxDirectives ||
    measure.fields > limits.maxFields
  ) {
    throw operationTooComplex();
  }
}
