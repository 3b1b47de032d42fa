/**
 * One datum, one source (一数一源): every field but an entity's key fields is
 * resolved by exactly one subgraph. Federation refuses a field defined twice
 * unless both mark it `@shareable`; this check refuses it even then, naming
 * the field and the subgraphs, so no agency can start answering for another's data.
 */
import { Kind, parse, type ConstDirectiveNode, type DefinitionNode, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from "graphql";

export interface SubgraphSdl {
  name: string;
  typeDefs: string;
}

/** Thrown when a field is resolved by more than one subgraph. */
export class OneDatumOneSourceError extends Error {
  constructor(readonly violations: Array<{ coordinate: string; subgraphs: string[] }>) {
    super(
      "One datum, one source: " +
        violations.map((v) => `${v.coordinate} is resolved by ${v.subgraphs.join(" and ")}`).join("; "),
    );
    this.name = "OneDatumOneSourceError";
  }
}

type ObjectNode = ObjectTypeDefinitionNode | ObjectTypeExtensionNode;

function isObjectNode(node: DefinitionNode): node is ObjectNode {
  return node.kind === Kind.OBJECT_TYPE_DEFINITION || node.kind === Kind.OBJECT_TYPE_EXTENSION;
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const argument = directive.arguments?.find((a) => a.name.value === name);
  return argument?.value.kind === Kind.STRING ? argument.value.value : undefined;
}

function keyFieldsOf(type: ObjectNode): Set<string> {
  const fields = new Set<string>();
  for (const directive of type.directives ?? []) {
    if (directive.name.value !== "key") continue;
    for (const name of (stringArgument(directive, "fields") ?? "").split(/[\s{}]+/)) if (name) fields.add(name);
  }
  return fields;
}

/** @throws OneDatumOneSourceError naming every field resolved by two or more subgraphs */
export function assertOneDatumOneSource(subgraphs: readonly SubgraphSdl[]): void {
  const resolvers = new Map<string, string[]>();
  for (const subgraph of subgraphs) {
    for (const definition of parse(subgraph.typeDefs).definitions) {
      if (!isObjectNode(definition)) continue;
      const typeName = definition.name.value;
      const keys = keyFieldsOf(definition);
      for (const field of definition.fields ?? []) {
        const external = field.directives?.some((d) => d.name.value === "external");
        if (keys.has(field.name.value) || external) continue;
        const coordinate = `${typeName}.${field.name.value}`;
        resolvers.set(coordinate, [...(resolvers.get(coordinate) ?? []), subgraph.name]);
      }
    }
  }
  const violations = [...resolvers]
    .filter(([, names]) => names.length > 1)
    .map(([coordinate, names]) => ({ coordinate, subgraphs: names }));
  if (violations.length > 0) throw new OneDatumOneSourceError(violations);
}
