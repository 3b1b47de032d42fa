/**
 * Writes a denial into a response: `null` at every place a denied field
 * would have stood (list positions expanded) with one FORBIDDEN error there,
 * and drops the placeholders that kept emptied selection sets valid.
 */
import type { GraphQLFormattedError } from "graphql";
import { ErrorCode } from "../../platform/errors.ts";
import { PLACEHOLDER_KEY, type DeniedField } from "./createOperationAuthorizer.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function markPath(value: Json | undefined, field: DeniedField, depth: number, concrete: Array<string | number>, errors: GraphQLFormattedError[]): void {
  const path = field.path;
  if (value === null || value === undefined || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => markPath(item, field, depth, [...concrete, index], errors));
    return;
  }
  const key = path[depth]!;
  if (depth === path.length - 1) {
    value[key] = null;
    errors.push({
      message: "Not authorized to read this field",
      path: [...concrete, key],
      extensions: { code: ErrorCode.FORBIDDEN, reason: field.reason, ...(field.requiredScopes.length > 0 ? { requiredScopes: field.requiredScopes } : {}) },
    });
    return;
  }
  markPath(value[key], field, depth + 1, [...concrete, key], errors);
}

function dropPlaceholders(value: Json | undefined): void {
  if (value === null || value === undefined || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) dropPlaceholders(item);
    return;
  }
  delete value[PLACEHOLDER_KEY];
  for (const key in value) dropPlaceholders(value[key]);
}

/** Mutates `data`; returns the errors to add to the response. */
export function markDeniedFields(data: Record<string, unknown>, denied: readonly DeniedField[], usesPlaceholder: boolean): GraphQLFormattedError[] {
  if (usesPlaceholder) dropPlaceholders(data as Json);
  const errors: GraphQLFormattedError[] = [];
  for (const field of denied) markPath(data as Json, field, 0, [], errors);
  return errors;
}
