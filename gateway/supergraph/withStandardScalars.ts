import type { GraphQLSchema, GraphQLScalarType } from "graphql";
import { scalarResolvers } from "../../platform/standard/scalars.ts";

/**
 * Gives the gateway's copy of the API schema the standard's scalar rules
 * (Money, Date, Month, CreditCode), so a malformed literal is refused with
 * BAD_USER_INPUT before planning instead of travelling to an agency.
 */
export function withStandardScalars(schema: GraphQLSchema): void {
  for (const [name, standard] of Object.entries(scalarResolvers)) {
    const scalar = schema.getType(name) as GraphQLScalarType | undefined;
    if (!scalar) continue;
    scalar.parseLiteral = standard.parseLiteral;
    scalar.parseValue = standard.parseValue;
  }
}
