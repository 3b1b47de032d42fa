/**
 * The response the gateway substitutes when an agency's subgraph cannot be
 * reached in time: one SUBGRAPH_UNAVAILABLE error per field the fetch asked
 * for, with subgraph-relative paths (`_entities`/i/field, or the root field)
 * that @apollo/gateway maps onto the client's response. Other agencies' data
 * still arrives; nothing about the subgraph (URL, cause) is revealed.
 */
import { Kind, parse, type GraphQLFormattedError, type SelectionSetNode } from "graphql";
import { ErrorCode } from "../../platform/errors.ts";

interface Representation {
  __typename?: string;
}

function fieldNamesFor(selectionSet: SelectionSetNode, typename: string | undefined): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== "__typename") names.push(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition?.name.value;
      if (!condition || !typename || condition === typename) names.push(...fieldNamesFor(selection.selectionSet, typename));
    }
  }
  return names;
}

/** Builds the substitute response for a failed fetch of `query` with `variables`. */
export function unavailableResponse(
  subgraphName: string,
  query: string,
  variables: Record<string, unknown> | undefined,
): { data: null; errors: GraphQLFormattedError[] } {
  const message = `The ${subgraphName} agency is unavailable`;
  const extensions = { code: ErrorCode.SUBGRAPH_UNAVAILABLE, subgraph: subgraphName };
  const errors: GraphQLFormattedError[] = [];
  const operation = parse(query).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind !== Kind.FIELD) continue;
    const responseName = selection.alias?.value ?? selection.name.value;
    if (selection.name.value === "_entities" && selection.selectionSet) {
      const representations = (variables?.representations as Representation[] | undefined) ?? [];
      representations.forEach((representation, index) => {
        for (const field of fieldNamesFor(selection.selectionSet!, representation.__typename)) {
          errors.push({ message, path: [responseName, index, field], extensions });
        }
      });
    } else if (selection.name.value !== "__typename") {
      errors.push({ message, path: [responseName], extensions });
    }
  }
  if (errors.length === 0) errors.push({ message, extensions });
  return { data: null, errors };
}
