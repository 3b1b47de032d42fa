/**
 * Federation's security directives, read from SDL with graphql-js and
 * evaluated by one pure function, with Apollo Router's meaning:
 *
 * - `@authenticated`: any verified caller.
 * - `@requiresScopes(scopes: [[A, B], [C]])`: (A and B) or C.
 * - `@policy(policies: [[P, Q], [R]])`: likewise; a policy nobody decided is denied.
 * - on a type: applies to every field that returns the type;
 *   several usages on one field (a field shared by subgraphs): all must hold.
 *
 * The gateway reads them from the supergraph, each subgraph from its own SDL.
 */
import { Kind, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from "graphql";

/** What one field (or type) demands of its caller; groups are ANDed. */
export interface AccessRequirement {
  authenticated: boolean;
  /** Each entry is one `@requiresScopes` usage in any-of-all-of form. */
  scopes: string[][][];
  /** Each entry is one `@policy` usage in any-of-all-of form. */
  policies: string[][][];
}

/** Directive names as they appear in the SDL (a `@link(as:)`/`import` may rename them). */
export interface SecurityDirectiveNames {
  authenticated: string;
  requiresScopes: string;
  policy: string;
}

export const DEFAULT_SECURITY_DIRECTIVES: SecurityDirectiveNames = {
  authenticated: "authenticated",
  requiresScopes: "requiresScopes",
  policy: "policy",
};

/** Requirements by type name and by field coordinate (`Type.field`). */
export interface AccessRequirements {
  types: Map<string, AccessRequirement>;
  fields: Map<string, AccessRequirement>;
}

function stringMatrix(value: ConstValueNode | undefined): string[][] {
  if (!value || value.kind !== Kind.LIST) return [];
  return value.values.map((group) =>
    group.kind === Kind.LIST ? group.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) : [],
  );
}

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined, names: SecurityDirectiveNames): AccessRequirement | null {
  const requirement: AccessRequirement = { authenticated: false, scopes: [], policies: [] };
  let any = false;
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    const argument = (arg: string) => directive.arguments?.find((a) => a.name.value === arg)?.value;
    if (name === names.authenticated) {
      requirement.authenticated = true;
      any = true;
    } else if (name === names.requiresScopes) {
      requirement.authenticated = true;
      requirement.scopes.push(stringMatrix(argument("scopes")));
      any = true;
    } else if (name === names.policy) {
      requirement.authenticated = true;
      requirement.policies.push(stringMatrix(argument("policies")));
      any = true;
    }
  }
  return any ? requirement : null;
}

/** Reads every security directive usage on object, interface, scalar and enum types and their fields. */
export function readAccessRequirements(
  document: DocumentNode,
  names: SecurityDirectiveNames = DEFAULT_SECURITY_DIRECTIVES,
): AccessRequirements {
  const types = new Map<string, AccessRequirement>();
  const fields = new Map<string, AccessRequirement>();
  const add = (map: Map<string, AccessRequirement>, key: string, requirement: AccessRequirement | null) => {
    if (!requirement) return;
    const existing = map.get(key);
    map.set(key, existing ? mergeRequirements(existing, requirement) : requirement);
  };
  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        add(types, definition.name.value, requirementOf(definition.directives, names));
        for (const field of definition.fields ?? []) {
          add(fields, `${definition.name.value}.${field.name.value}`, requirementOf(field.directives, names));
        }
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_DEFINITION:
        add(types, definition.name.value, requirementOf(definition.directives, names));
        break;
      default:
        break;
    }
  }
  return { types, fields };
}

/** Both requirements at once (AND). */
export function mergeRequirements(a: AccessRequirement, b: AccessRequirement): AccessRequirement {
  return {
    authenticated: a.authenticated || b.authenticated,
    scopes: [...a.scopes, ...b.scopes],
    policies: [...a.policies, ...b.policies],
  };
}

/** The caller as the access rules see it. */
export interface AccessSubject {
  authenticated: boolean;
  scopes: ReadonlySet<string>;
  /** Policies decided true for this caller; any other policy is undecided, which denies. */
  grantedPolicies?: ReadonlySet<string>;
}

function satisfies(alternatives: string[][], held: ReadonlySet<string>): boolean {
  return alternatives.some((group) => group.every((item) => held.has(item)));
}

/** Whether `subject` meets `requirement`; no requirement means open. */
export function isAllowed(requirement: AccessRequirement | null | undefined, subject: AccessSubject): boolean {
  if (!requirement) return true;
  if (requirement.authenticated && !subject.authenticated) return false;
  if (!requirement.scopes.every((usage) => satisfies(usage, subject.scopes))) return false;
  // Runs for every resolved field in every subgraph: nothing is allocated here.
  const policies = subject.grantedPolicies ?? NO_POLICIES;
  return requirement.policies.every((usage) => satisfies(usage, policies));
}

const NO_POLICIES: ReadonlySet<string> = new Set<string>();

/**
 * The scope sets, any one of which satisfies a requirement's `@requiresScopes`
 * usages (ANDed usages multiplied out, duplicates dropped): what an app would
 * have to ask for. Empty when the requirement names no scopes.
 */
export function scopeSetsOf(requirement: AccessRequirement | null): string[][] {
  if (!requirement || requirement.scopes.length === 0) return [];
  let sets: string[][] = [[]];
  for (const usage of requirement.scopes) {
    const next: string[][] = [];
    for (const set of sets) for (const alternative of usage) next.push([...new Set([...set, ...alternative])].sort());
    sets = next;
  }
  const seen = new Set<string>();
  return sets.filter((set) => {
    const key = set.join(" ");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
