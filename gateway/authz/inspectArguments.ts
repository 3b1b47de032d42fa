/**
 * What an operation's arguments name once its variables are applied: the
 * resident ids of its root `citizen(id:)` / `citizens(ids:)` fields (literal,
 * variable, list element or default value alike) and each verification field
 * it asks for, with its arguments and for which citizens. Variables are
 * coerced here with the standard's scalars, so a bad `Money`, `Date`, `ID` or
 * `CreditCode` variable is refused before any agency is asked, and its value
 * is never echoed.
 */
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isCompositeType,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type DocumentNode,
  type FieldNode,
} from "graphql";
import { BadUserInputError, ServiceError } from "../../platform/errors.ts";
import { assertResidentId } from "../../platform/standard/assertResidentId.ts";

/** The most ids `Query.citizens` takes (the data standard). */
export const MAX_CITIZENS_PER_QUERY = 100;

/** One verification field at one place of the operation. */
export interface VerificationRequest {
  coordinate: string;
  /** Response path (response keys, no list positions). */
  path: string[];
  /** Its arguments after coercion. */
  arguments: Record<string, unknown>;
  /** The citizens it is asked for; null when they cannot be known before execution (under a relation). */
  citizens: string[] | null;
}

export interface ArgumentInspection {
  citizens: string[];
  verifications: VerificationRequest[];
}

/**
 * @throws ServiceError BAD_USER_INPUT (HTTP 400) for a variable or id the schema or the standard refuses
 */
export function inspectArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | undefined,
  isVerificationField: (coordinate: string) => boolean,
): ArgumentInspection {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  if (coerced.errors) throw badVariable(coerced.errors[0]!);
  const variables = coerced.coerced;
  const citizens: string[] = [];
  const verifications: VerificationRequest[] = [];
  const sites = argumentSitesOf(schema, document, operation, isVerificationField);
  // The ids each root citizen field names, by its place in `sites`.
  const idsAt: Array<string[] | undefined> = [];
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i]!;
    const args = argumentsOf(site.field, site.node, variables);
    if (site.rootCitizenField) {
      const ids = citizenIdsOf(site.rootCitizenField, args);
      idsAt[i] = ids;
      citizens.push(...ids);
    }
    if (site.verification) {
      verifications.push({ coordinate: site.coordinate, path: [...site.path], arguments: args, citizens: site.subjectsFrom === null ? null : idsAt[site.subjectsFrom]! });
    }
  }
  return { citizens, verifications };
}

/** A field whose arguments matter: it takes arguments, or it is a root citizen field or a verification field. */
interface ArgumentSite {
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  coordinate: string;
  /** Response path (response keys, no list positions). */
  path: string[];
  rootCitizenField: "citizen" | "citizens" | null;
  verification: boolean;
  /** The site of the root citizen field whose ids are this field's citizens; null under any other field. */
  subjectsFrom: number | null;
}

interface CompiledSites {
  schema: GraphQLSchema;
  isVerificationField: (coordinate: string) => boolean;
  sites: ArgumentSite[];
}

/**
 * The fields to inspect, in the order the operation's selections name them,
 * found once per parsed operation (the authorizer keeps the document per
 * operation text): only the argument values change between requests. A
 * field that takes no arguments always has none, so it is not a site unless
 * it is a citizen or verification field.
 */
const compiledSites = new WeakMap<OperationDefinitionNode, CompiledSites>();

function argumentSitesOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  isVerificationField: (coordinate: string) => boolean,
): ArgumentSite[] {
  const kept = compiledSites.get(operation);
  if (kept && kept.schema === schema && kept.isVerificationField === isVerificationField) return kept.sites;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const sites: ArgumentSite[] = [];
  const rootType = schema.getRootType(operation.operation);

  function walk(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, path: string[], subjectsFrom: number | null, depth: number): void {
    if (depth > 200) return; // fragment cycles are refused by validation; this only bounds a surprise
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith("__") || !("getFields" in parentType)) continue;
        const field = (parentType.getFields() as Record<string, GraphQLField<unknown, unknown>>)[name];
        if (!field) continue;
        const coordinate = `${parentType.name}.${name}`;
        const responsePath = [...path, selection.alias?.value ?? name];
        const rootCitizenField = parentType === rootType && (name === "citizen" || name === "citizens") ? name : null;
        const verification = isVerificationField(coordinate);
        let site: number | null = null;
        if (field.args.length > 0 || rootCitizenField || verification) {
          site = sites.length;
          sites.push({ field, node: selection, coordinate, path: responsePath, rootCitizenField, verification, subjectsFrom });
        }
        const named = getNamedType(field.type);
        // Below any other field, a citizen is reached through a relation: who it is, only execution knows.
        if (selection.selectionSet && isCompositeType(named)) walk(selection.selectionSet, named, responsePath, rootCitizenField ? site : null, depth + 1);
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        const conditionName = fragment.typeCondition?.name.value;
        const condition = conditionName ? schema.getType(conditionName) : parentType;
        if (condition && isCompositeType(condition)) walk(fragment.selectionSet, condition, path, subjectsFrom, depth + 1);
      }
    }
  }

  if (rootType) walk(operation.selectionSet, rootType, [], null, 0);
  compiledSites.set(operation, { schema, isVerificationField, sites });
  return sites;
}

function argumentsOf(field: GraphQLField<unknown, unknown>, node: Parameters<typeof getArgumentValues>[1], variables: Record<string, unknown>): Record<string, unknown> {
  try {
    return getArgumentValues(field, node, variables) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ServiceError) throw withStatus(error);
    if (error instanceof GraphQLError && error.originalError instanceof ServiceError) throw withStatus(error.originalError);
    throw withStatus(new BadUserInputError(`Argument of ${field.name} has an invalid value`));
  }
}

function citizenIdsOf(field: "citizen" | "citizens", args: Record<string, unknown>): string[] {
  const ids = field === "citizen" ? [args.id] : Array.isArray(args.ids) ? args.ids : [];
  if (ids.length > MAX_CITIZENS_PER_QUERY) {
    throw withStatus(new BadUserInputError(`citizens(ids:) takes at most ${MAX_CITIZENS_PER_QUERY} ids, got ${ids.length}`));
  }
  for (const id of ids) {
    if (typeof id !== "string") continue;
    try {
      assertResidentId(id);
    } catch (error) {
      throw withStatus(error as ServiceError);
    }
  }
  return ids.filter((id): id is string => typeof id === "string");
}

/**
 * graphql-js's variable errors quote the value; the standard's scalar errors
 * are kept without it (an id-shaped value may be named by the id check).
 */
function badVariable(error: GraphQLError): ServiceError {
  const variable = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)"/.exec(error.message)?.[1];
  const reason = error.originalError instanceof ServiceError ? `: ${error.originalError.message}` : "";
  return withStatus(new BadUserInputError(`Variable ${variable ? `"$${variable}"` : ""} has an invalid value${reason}`.replace("  ", " ")));
}

function withStatus<E extends GraphQLError>(error: E): E {
  (error.extensions as Record<string, unknown>).http = { status: 400 };
  return error;
}
