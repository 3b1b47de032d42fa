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
  /** Root-field arguments that name citizens (`id`, `ids`): a literal, or the variable holding them. */
  citizenArguments: Array<{ literal?: unknown; variable?: string }>;
}

export interface OperationAuthorizerOptions {
  /** The API schema the operation is validated against. */
  schema: GraphQLSchema;
  requirements: AccessRequirements;
  /** Decisions kept. @default 5000 */
  cacheSize?: number;
  /** Most field visits one operation may take (fragment explosion). @default 50_000 */
  maxVisits?: number;
}

/** A subject plus a stable key of what decides its access (its scopes). */
export interface KeyedSubject extends AccessSubject {
  key: string;
  /** Scopes the token holds that no active grant covers: a field they would open is denied with NO_GRANT. */
  ungrantedScopes?: ReadonlySet<string>;
  /** Arguments grants fix, by field coordinate: the field asked with others is denied with GRANT_ARGUMENTS. */
  fixedArguments?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

const PLACEHOLDER: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY },
  name: { kind: Kind.NAME, value: "__typename" },
};

export function createOperationAuthorizer(options: OperationAuthorizerOptions) {
  const { schema, requirements } = options;
  const cacheSize = options.cacheSize ?? 5000;
  const maxVisits = options.maxVisits ?? 50_000;
  const cache = new Map<string, AuthorizationDecision | null>();
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

  function decide(document: DocumentNode, operationName: string | undefined, subject: KeyedSubject, variables: Record<string, unknown>): AuthorizationDecision | null {
    /** Whether a field's arguments are the ones its grant fixes (values compared as strings: Money, Int, String). */
    const argumentsAllowed = (coordinate: string, field: FieldNode): boolean => {
      const fixed = subject.fixedArguments?.get(coordinate);
      if (!fixed) return true;
      return Object.entries(fixed).every(([name, expected]) => {
        const node = field.arguments?.find((a) => a.name.value === name)?.value;
        if (!node) return false;
        const value = node.kind === Kind.VARIABLE ? variables[node.name.value] : "value" in node ? node.value : undefined;
        return value !== undefined && value !== null && String(value) === String(expected);
      });
    };
    const withUngranted: AccessSubject | null = subject.ungrantedScopes?.size
      ? { ...subject, scopes: new Set([...subject.scopes, ...subject.ungrantedScopes]) }
      : null;
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
    if (!operation) return null;
    const rootType = schema.getRootType(operation.operation);
    if (!rootType) return null;
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
        if (++visits > maxVisits) throw new ServiceError(ErrorCode.BAD_USER_INPUT, "Operation too complex");
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
        if (++visits > maxVisits) throw new ServiceError(ErrorCode.BAD_USER_INPUT, "Operation too complex");
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
          if (!isAllowed(requirement, subject)) {
            // A field selected twice at one place (fragments, repeats) is one field in the response.
            const key = responsePath.join("\u0000");
            if (!deniedPaths.has(key)) {
              deniedPaths.add(key);
              // The token has the scopes, but the owning agency has not granted them for this purpose.
              const noGrant = withUngranted !== null && isAllowed(requirement, withUngranted);
              denied.push({
                coordinate,
                path: responsePath,
                reason: noGrant ? ForbiddenReason.NO_GRANT : ForbiddenReason.SCOPE,
                requiredScopes: scopeSetsOf(requirement),
              });
            }
            // What lies beneath was asked for too: the audit record names it.
            const below = getNamedType(field.type);
            if (selection.selectionSet && isCompositeType(below)) collectRequested(selection.selectionSet, below);
            continue;
          }
          if (!argumentsAllowed(coordinate, selection)) {
            const key = responsePath.join("\u0000");
            if (!deniedPaths.has(key)) {
              deniedPaths.add(key);
              denied.push({ coordinate, path: responsePath, reason: ForbiddenReason.GRANT_ARGUMENTS, requiredScopes: [] });
            }
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
      citizenArguments: citizenArgumentsOf(operation),
    };
    if (denied.length === 0) return decision;
    decision.query = print(withoutUnused({ ...operation, selectionSet }, filteredFragments, fragments));
    return decision;
  }

  /**
   * @returns the decision for `query` as `subject`, or null when the operation
   * cannot be parsed, validated or chosen (Apollo Server then reports why).
   * @throws ServiceError BAD_USER_INPUT when a literal breaks a standard scalar or the operation is too complex to check
   */
  return function authorizeOperation(
    query: string,
    operationName: string | undefined,
    subject: KeyedSubject,
    variables: Record<string, unknown> = {},
  ): AuthorizationDecision | null {
    const ungranted = subject.ungrantedScopes?.size ? [...subject.ungrantedScopes].sort().join(" ") : "";
    // Fixed arguments make the decision depend on the variables' values too.
    const fixed = subject.fixedArguments?.size ? JSON.stringify([[...subject.fixedArguments], variables]) : "";
    const key = `${subject.key}\n${ungranted}\n${fixed}\n${operationName ?? ""}\n${query}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: 20_000 });
    } catch {
      return null;
    }
    const [invalid] = validate(schema, document, specifiedRules, { maxErrors: 1 });
    // A value the standard's scalars refuse is the caller's mistake: say so before any agency is asked.
    if (invalid instanceof ServiceError) throw invalid;
    if (invalid?.originalError instanceof ServiceError) throw invalid.originalError;
    if (invalid) return null;
    const decision = decide(document, operationName, subject, variables);
    if (decision && decision.denied.length === 0) decision.query = query;
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(key, decision);
    return decision;
  };
}

function citizenArgumentsOf(operation: OperationDefinitionNode): AuthorizationDecision["citizenArguments"] {
  const found: AuthorizationDecision["citizenArguments"] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    for (const argument of selection.arguments ?? []) {
      if (argument.name.value !== "id" && argument.name.value !== "ids") continue;
      const value = argument.value;
      if (value.kind === Kind.VARIABLE) found.push({ variable: value.name.value });
      else if (value.kind === Kind.STRING) found.push({ literal: value.value });
      else if (value.kind === Kind.LIST) found.push({ literal: value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) });
    }
  }
  return found;
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


