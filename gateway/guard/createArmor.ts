import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import type { ValidationRule } from "graphql";
import type { OperationLimits } from "./operationLimits.ts";

/**
 * graphql-armor as a second layer behind measureOperation: the same limits,
 * plus its cost model, never exposing the numbers. Field suggestions are
 * hidden per caller by schemaDisclosurePlugin instead (agency developers keep them).
 */
export function createArmor<Context extends BaseContext>(limits: OperationLimits): { plugins: ApolloServerPlugin<Context>[]; validationRules: ValidationRule[] } {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, exposeLimits: false },
    maxAliases: { n: limits.maxAliases, exposeLimits: false },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: false },
    // The gateway's own parse (guard and authorizer) holds MAX_TOKENS; armor's would answer a syntax error with HTTP 500.
    maxTokens: { enabled: false },
    costLimit: { maxCost: limits.maxCost, exposeLimits: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return { plugins: armor.plugins as unknown as ApolloServerPlugin<Context>[], validationRules: armor.validationRules };
}
