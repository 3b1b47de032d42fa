/**
 * Measures an operation the way it will run: fragments expanded at every
 * spread (a fragment's depth and size are the same wherever it is spread, so
 * they are computed once and added at each place), whatever the fragments or
 * operations are named. This closes the known depth-limit bypasses (an
 * operation or fragment named `__schema`; depth hidden in reused fragment
 * spreads) and bounds fragment explosion before any validation runs.
 */
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from "graphql";

export interface OperationMeasure {
  /** Longest chain of nested fields. */
  depth: number;
  /** Longest chain with each introspection field (`__schema`, `__type`) counted as a leaf: the schema's own shape is not the data's. */
  depthOutsideIntrospection: number;
  /** Fields after fragment expansion (saturates at a large number). */
  fields: number;
  aliases: number;
  /** Fields at the root of the chosen operation, fragments expanded. */
  rootFields: number;
  directives: number;
  /** Whether a fragment spreads itself, directly or not. */
  fragmentCycle: boolean;
}

const SATURATE = 1e9;

/** Fields whose subtree is the schema's shape. */
const INTROSPECTION_FIELDS = new Set(["__schema", "__type"]);

interface Measured {
  depth: number;
  outerDepth: number;
  fields: number;
  aliases: number;
  directives: number;
  roots: number;
}

export function measureOperation(document: DocumentNode, operationName?: string | null): OperationMeasure | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return null;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const memo = new Map<string, Measured>();
  const inProgress = new Set<string>();
  let fragmentCycle = false;

  function measure(selectionSet: SelectionSetNode): Measured {
    let depth = 0;
    let outerDepth = 0;
    let fields = 0;
    let aliases = 0;
    let directives = 0;
    let roots = 0;
    for (const selection of selectionSet.selections) {
      directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        roots += 1;
        fields += 1;
        if (selection.alias) aliases += 1;
        if (selection.selectionSet) {
          const inner = measure(selection.selectionSet);
          depth = Math.max(depth, inner.depth + 1);
          outerDepth = Math.max(outerDepth, INTROSPECTION_FIELDS.has(selection.name.value) ? 1 : inner.outerDepth + 1);
          fields += inner.fields;
          aliases += inner.aliases;
          directives += inner.directives;
        } else {
          depth = Math.max(depth, 1);
          outerDepth = Math.max(outerDepth, 1);
        }
      } else {
        const inner = selection.kind === Kind.INLINE_FRAGMENT ? measure(selection.selectionSet) : spread(selection.name.value);
        depth = Math.max(depth, inner.depth);
        outerDepth = Math.max(outerDepth, inner.outerDepth);
        fields += inner.fields;
        aliases += inner.aliases;
        directives += inner.directives;
        roots += inner.roots;
      }
    }
    return {
      depth,
      outerDepth,
      fields: Math.min(fields, SATURATE),
      aliases: Math.min(aliases, SATURATE),
      directives: Math.min(directives, SATURATE),
      roots: Math.min(roots, SATURATE),
    };
  }

  function spread(name: string) {
    const known = memo.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(name)) {
      if (fragment) fragmentCycle = true;
      return { depth: 0, outerDepth: 0, fields: 0, aliases: 0, directives: 0, roots: 0 };
    }
    inProgress.add(name);
    const result = measure(fragment.selectionSet);
    result.directives += fragment.directives?.length ?? 0;
    inProgress.delete(name);
    memo.set(name, result);
    return result;
  }

  const root = measure(operation.selectionSet);
  return {
    depth: root.depth,
    depthOutsideIntrospection: root.outerDepth,
    fields: root.fields,
    aliases: root.aliases,
    rootFields: root.roots,
    directives: root.directives + (operation.directives?.length ?? 0),
    fragmentCycle,
  };
}
