/**
 * Decides, before planning, which fields of an operation the caller may read,
 * by the supergraph's @authenticated / @requiresScopes / @policy
 * declarations, through aliases, named and inline fragments, interfaces and
 * unions. Denied fields are removed from the operation text that
 * @apollo/gateway plans; their response paths are kept so that the response
 * can carry `null` and a FORBIDDEN error at each. Decisions are cached per
 * (operation, scope set): a repeat costs one Map lookup.
 */
import {
  GraphQLError,
  Kind,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  parse,
  print,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from "graphql";
import { ServiceError, ErrorCode } from "../../platform/errors.ts";
import { operationTooComplex } from "../guard/operationLimits.ts";
import { requestRefusal } from "./requestRefusal.ts";
import { ForbiddenReason } from "../../platform/forbiddenReason.ts";
import {
  isAllowed,
  scopeSetsOf,
  mergeRequirements,
  type AccessRequirement,
  type AccessRequirements,
  type AccessSubject,
} from "../../platform/security/accessRequirements.ts";

/** The scope that opens introspection (agency developers). */
export const INTROSPECTION_SCOPE = "schema:introspect";

/** Response key of the `__typename` that stands in for a selection set emptied by denials; removed from responses. */
export const PLACEHOLDER_KEY = "_authorizationPlaceholder";

/** A denied field: its schema coordinate and its response path (response keys, no list positions). */
export interface DeniedField {
  coordinate: string;
  path: string[];
  /** Why: `extensions.reason` of the FORBIDDEN error. */
  reason: ForbiddenReason;
  /** The scope sets, any one of which would allow the field (empty when scopes are not the reason). */
  requiredScopes: string[][];
}

export interface AuthorizationDecision {
  /** The operation text to execute: the original when nothing was denied. */
  query: string;
  denied: DeniedField[];
  /** Schema coordinates the operation asked for, e.g. `HousingFundAccount.balance`. */
  requested: string[];
  granted: string[];
  usesPlaceholder: boolean;
  /** The parsed operation document and the operation it runs (for per-request checks of its arguments). */
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

export interface OperationAuthorizerOptions {
  /** The API schema the operation is validated against. */
  schema: GraphQLSchema;
  requirements: AccessRequirements;
  /** Decisions kept. @default 5000 */
  cacheSize?: number;
  /** Most tokens an operation may have: the gateway's one `MAX_TOKENS`. */
  maxTokens: number;
  /** Most field visits one operation may take (fragment explosion), derived from the gateway's `MAX_FIELDS`. */
  maxVisits: number;
}

/** A subject plus a stable key of what decides its access (its scopes). */
export interface KeyedSubject extends AccessSubject {
  key: string;
  /** Scopes the token holds that no active grant covers (gateway/governance/): a field they would open is denied with NO_GRANT. */
  ungrantedScopes?: ReadonlySet<string>;
}

const PLACEHOLDER: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY },
  name: { kind: Kind.NAME, value: "__typename" },
};

export function createOperationAuthorizer(options: OperationAuthorizerOptions) {
  const { schema, requirements } = options;
  const cacheSize = options.cacheSize ?? 5000;
  const { maxVisits, maxTokens } = options;
  const cache = new Map<string, AuthorizationDecision>();
  const requirementCache = new Map<string, AccessRequirement | null>();

  function fieldRequirement(parentType: GraphQLCompositeType, field: GraphQLField<unknown, unknown>): AccessRequirement | null {
    const coordinate = `${parentType.name}.${field.name}`;
    if (requirementCache.has(coordinate)) return requirementCache.get(coordinate)!;
    let requirement: AccessRequirement | null = null;
    const add = (r: AccessRequirement | null | undefined) => {
      if (r) requirement = requirement ? mergeRequirements(requirement, r) : r;
    };
    add(requirements.fields.get(coordinate));
    add(requirements.types.get(getNamedType(field.type).name));
    if (isInterfaceType(parentType)) {
      // A field read through an interface must satisfy every implementation's declaration.
      for (const implementation of schema.getPossibleTypes(parentType)) add(requirements.fields.get(`${implementation.name}.${field.name}`));
    }
    requirementCache.set(coordinate, requirement);
    return requirement;
  }

  function decide(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    subject: AccessSubject & { ungrantedScopes?: ReadonlySet<string> },
    extraDenials?: ReadonlyMap<string, ForbiddenReason>,
  ): AuthorizationDecision {
    // The token's scopes before governance took away those no grant covers: what decides SCOPE or NO_GRANT.
    const withUngranted: AccessSubject | null = subject.ungrantedScopes?.size
      ? { ...subject, scopes: new Set([...subject.scopes, ...subject.ungrantedScopes]) }
      : null;
    const rootType = schema.getRootType(operation.operation);
    if (!rootType) throw requestRefusal("GRAPHQL_VALIDATION_FAILED", `The schema has no ${operation.operation} type`);
    const fragments = new Map(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((f) => [f.name.value, f]),
    );
    const filteredFragments = new Map<string, SelectionSetNode>();
    const denied: DeniedField[] = [];
    const deniedPaths = new Set<string>();
    const requested = new Set<string>();
    const granted = new Set<string>();
    let usesPlaceholder = false;
    let visits = 0;

    function collectRequested(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType): void {
      for (const selection of selectionSet.selections) {
        if (++visits > maxVisits) throw operationTooComplex();
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith("__") || !("getFields" in parentType)) continue;
          const field = parentType.getFields()[selection.name.value];
          if (!field) continue;
          requested.add(`${parentType.name}.${field.name}`);
          const named = getNamedType(field.type);
          if (selection.selectionSet && isCompositeType(named)) collectRequested(selection.selectionSet, named);
        } else {
          const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
          const conditionName = fragment?.typeCondition?.name.value;
          const condition = conditionName ? schema.getType(conditionName) : parentType;
          if (fragment && condition && isCompositeType(condition)) collectRequested(fragment.selectionSet, condition);
        }
      }
    }

    function filter(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, path: string[]): SelectionSetNode {
      const kept: SelectionNode[] = [];
      for (const selection of selectionSet.selections) {
        if (++visits > maxVisits) throw operationTooComplex();
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          if (name === "__schema" || name === "__type") {
            // Introspection is for agency developers only.
            const responsePath = [...path, selection.alias?.value ?? name];
            requested.add(`${parentType.name}.${name}`);
            if (!subject.scopes.has(INTROSPECTION_SCOPE)) {
              denied.push({ coordinate: `${parentType.name}.${name}`, path: responsePath, reason: ForbiddenReason.SCOPE, requiredScopes: [[INTROSPECTION_SCOPE]] });
              continue;
            }
            granted.add(`${parentType.name}.${name}`);
            kept.push(selection);
            continue;
          }
          if (name.startsWith("__")) {
            kept.push(selection);
            continue;
          }
          const field = isAbstractType(parentType) && !isInterfaceType(parentType) ? undefined : (parentType as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[name];
          if (!field) return selectionSet; // unreachable after validation
          const coordinate = `${parentType.name}.${name}`;
          const responsePath = [...path, selection.alias?.value ?? name];
          requested.add(coordinate);
          const requirement = fieldRequirement(parentType, field);
          const extraReason = extraDenials?.get(responsePath.join("\u0000"));
          if (extraReason || !isAllowed(requirement, subject)) {
            // A field selected twice at one place (fragments, repeats) is one field in the response.
            const key = responsePath.join("\u0000");
            if (!deniedPaths.has(key)) {
              deniedPaths.add(key);
              denied.push(
                extraReason
                  ? { coordinate, path: responsePath, reason: extraReason, requiredScopes: [] }
                  : {
                      coordinate,
                      path: responsePath,
                      // The token has the scopes, but the owning agency has not granted them for this purpose.
                      reason: withUngranted && isAllowed(requirement, withUngranted) ? ForbiddenReason.NO_GRANT : ForbiddenReason.SCOPE,
                      requiredScopes: scopeSetsOf(requirement),
                    },
              );
            }
            // What lies beneath was asked for too: the audit record names it.
            const below = getNamedType(field.type);
            if (selection.selectionSet && isCompositeType(below)) collectRequested(selection.selectionSet, below);
            continue;
          }
          granted.add(coordinate);
          const named = getNamedType(field.type);
          kept.push(selection.selectionSet && isCompositeType(named) ? { ...selection, selectionSet: filter(selection.selectionSet, named, responsePath) } : selection);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType;
          if (!condition || !isCompositeType(condition)) return selectionSet;
          kept.push({ ...selection, selectionSet: filter(selection.selectionSet, condition, path) });
        } else {
          const fragment = fragments.get(selection.name.value);
          const condition = fragment && schema.getType(fragment.typeCondition.name.value);
          if (!fragment || !condition || !isCompositeType(condition)) return selectionSet;
          // Decisions depend on coordinates only, so a fragment filters the same wherever it is spread;
          // walking it at each spread records the denied paths of that place.
          filteredFragments.set(fragment.name.value, filter(fragment.selectionSet, condition, path));
          kept.push(selection);
        }
      }
      if (kept.length === 0) {
        usesPlaceholder = true;
        kept.push(PLACEHOLDER);
      }
      return { ...selectionSet, selections: kept };
    }

    const selectionSet = filter(operation.selectionSet, rootType, []);
    const decision: AuthorizationDecision = {
      query: "",
      denied,
      requested: [...requested],
      granted: [...granted],
      usesPlaceholder,
      document,
      operation,
    };
    if (denied.length === 0) return decision;
    decision.query = print(withoutUnused({ ...operation, selectionSet }, filteredFragments, fragments));
    return decision;
  }

  /** The coordinates whose only requirement is one `AGENCY:verify` scope: verification fields. */
  const verificationFields = new Set<string>();
  for (const [coordinate, requirement] of requirements.fields) {
    const sets = scopeSetsOf(requirement);
    if (requirement.policies.length === 0 && sets.length === 1 && sets[0]!.length === 1 && /^[a-z0-9-]+:verify$/.test(sets[0]![0]!)) {
      verificationFields.add(coordinate);
    }
  }

  /**
   * The decision for `query` as `subject`. Whatever cannot be decided is
   * refused, never allowed: a syntax error (GRAPHQL_PARSE_FAILED), an
   * operation invalid for the schema (GRAPHQL_VALIDATION_FAILED), no
   * operation to run (OPERATION_RESOLUTION_FAILURE), too large or complex to
   * check (OPERATION_LIMIT_EXCEEDED).
   * @throws GraphQLError with `extensions.code` and `extensions.http.status` (400)
   */
  function authorizeOperation(query: string, operationName: string | null | undefined, subject: KeyedSubject): AuthorizationDecision {
    const ungranted = subject.ungrantedScopes?.size ? [...subject.ungrantedScopes].sort().join(" ") : "";
    const key = `${subject.key}\n${ungranted}\n${operationName ?? "\u0000"}\n${query}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const document = parseOperation(query, maxTokens);
    const [invalid] = validate(schema, document, specifiedRules, { maxErrors: 1 });
    // A value the standard's scalars refuse is the caller's mistake: say so before any agency is asked.
    if (invalid instanceof ServiceError) throw withHttpStatus(invalid, 400);
    if (invalid?.originalError instanceof ServiceError) throw withHttpStatus(invalid.originalError, 400);
    if (invalid) throw requestRefusal("GRAPHQL_VALIDATION_FAILED", invalid.message, invalid.locations);
    const decision = decide(document, operationOf(document, operationName), subject);
    if (decision.denied.length === 0) decision.query = query;
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(key, decision);
    return decision;
  }

  /** The decision with further fields denied for this request only (by response path), e.g. a verification limit. */
  function withDenials(decision: AuthorizationDecision, subject: KeyedSubject, denials: ReadonlyMap<string, ForbiddenReason>): AuthorizationDecision {
    const refined = decide(decision.document, decision.operation, subject, denials);
    if (refined.denied.length === 0) refined.query = decision.query;
    return refined;
  }

  /** The type of the operation that would run (null when there is none or the text does not parse). */
  function operationTypeOf(query: string, operationName: string | null | undefined): OperationDefinitionNode["operation"] | null {
    try {
      return operationOf(parseOperation(query, maxTokens), operationName).operation;
    } catch {
      return null;
    }
  }

  return Object.assign(authorizeOperation, {
    withDenials,
    operationTypeOf,
    isVerificationField: (coordinate: string) => verificationFields.has(coordinate),
  });
}

export type OperationAuthorizer = ReturnType<typeof createOperationAuthorizer>;

/** Parses with the gateway's token limit; a syntax error is GRAPHQL_PARSE_FAILED, too many tokens OPERATION_LIMIT_EXCEEDED. */
function parseOperation(query: string, maxTokens: number): DocumentNode {
  try {
    return parse(query, { maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError && /tokens\. Parsing aborted|token limit/i.test(error.message)) throw operationTooComplex();
    throw requestRefusal("GRAPHQL_PARSE_FAILED", error instanceof GraphQLError ? error.message : "Syntax error", error instanceof GraphQLError ? error.locations : undefined);
  }
}

/** The operation `operationName` names (`""` names none), or the only one. */
function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName === undefined || operationName === null) {
    if (operations.length === 1) return operations[0]!;
    throw requestRefusal("OPERATION_RESOLUTION_FAILURE", "The document holds several operations: name one with operationName");
  }
  const named = operations.find((o) => o.name?.value === operationName);
  if (!named) throw requestRefusal("OPERATION_RESOLUTION_FAILURE", "No operation in the document has that operationName");
  return named;
}

function withHttpStatus(error: GraphQLError, status: number): GraphQLError {
  (error.extensions as Record<string, unknown>).http = { status };
  return error;
}

/** The operation with the fragments it still uses and the variables it still reads. */
function withoutUnused(
  operation: OperationDefinitionNode,
  filteredFragments: Map<string, SelectionSetNode>,
  fragments: Map<string, FragmentDefinitionNode>,
): DocumentNode {
  const used = new Set<string>();
  const pending: SelectionSetNode[] = [operation.selectionSet];
  const variables = new Set<string>();
  const collect = (node: SelectionSetNode | OperationDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        if (!used.has(spread.name.value)) {
          used.add(spread.name.value);
          pending.push(filteredFragments.get(spread.name.value)!);
        }
      },
      Variable(variable) {
        variables.add(variable.name.value);
      },
      VariableDefinition() {
        return false;
      },
    });
  collect({ ...operation, variableDefinitions: [] });
  while (pending.length > 0) collect(pending.pop()!);
  const definitions = [
    { ...operation, variableDefinitions: operation.variableDefinitions?.filter((d) => variables.has(d.variable.name.value)) },
    ...[...used].map((name) => ({ ...fragments.get(name)!, selectionSet: filteredFragments.get(name)! })),
  ];
  return { kind: Kind.DOCUMENT, definitions };
}


