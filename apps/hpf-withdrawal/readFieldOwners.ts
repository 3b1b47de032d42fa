/**
 * Which agency owns each field coordinate, read from the composed
 * supergraph's `@join__field` / `@join__type` directives: so the citizen's
 * access log can say which agency was asked for which field.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Kind, parse, type ConstDirectiveNode } from "graphql";

const SUPERGRAPH = fileURLToPath(new URL("../../schema/supergraph.graphql", import.meta.url));

function graphArgument(directive: ConstDirectiveNode): string | undefined {
  const argument = directive.arguments?.find((a) => a.name.value === "graph");
  return argument?.value.kind === Kind.ENUM ? argument.value.value : undefined;
}

/** Coordinate (e.g. `Property.seized`) → subgraph name (e.g. `real-estate`). */
export function readFieldOwners(path = SUPERGRAPH): ReadonlyMap<string, string> {
  const document = parse(readFileSync(path, "utf8"));
  const graphNames = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== "join__Graph") continue;
    for (const value of definition.values ?? []) {
      const name = value.directives?.find((d) => d.name.value === "join__graph")?.arguments?.find((a) => a.name.value === "name")?.value;
      if (name?.kind === Kind.STRING) graphNames.set(value.name.value, name.value);
    }
  }
  const owners = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const typeGraphs = (definition.directives ?? []).filter((d) => d.name.value === "join__type").map(graphArgument);
    for (const field of definition.fields ?? []) {
      const fieldGraphs = (field.directives ?? []).filter((d) => d.name.value === "join__field").map(graphArgument).filter(Boolean);
      const graphs = fieldGraphs.length > 0 ? fieldGraphs : typeGraphs;
      const graph = graphs[0];
      if (graph) owners.set(`${definition.name.value}.${field.name.value}`, graphNames.get(graph) ?? graph.toLowerCase());
    }
  }
  return owners;
}
