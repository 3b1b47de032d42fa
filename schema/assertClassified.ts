/**
 * The data catalog (数据目录) is read from the schema, so every field an
 * agency subgraph defines must carry `@classification(level:, sharing:)`.
 * Composition refuses an agency subgraph with an unclassified field, naming
 * the subgraph and the field. The gateway's own subgraphs (audit log,
 * governance) hold no agency data and are not catalogued.
 */
import { Kind, parse, type DefinitionNode, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from "graphql";
import type { SubgraphSdl } from "./assertOneDatumOneSource.ts";

/** The directive's name in agency SDL. */
export const CLASSIFICATION_DIRECTIVE = "classification";

/** Thrown when an agency subgraph defines a field without `@classification`. */
export class UnclassifiedFieldError extends Error {
  constructor(readonly fields: Array<{ subgraph: string; coordinate: string }>) {
    super(
      "Every agency field needs @classification(level:, sharing:) for the data catalog: " +
        fields.map((f) => `${f.coordinate} in ${f.subgraph}`).join(", "),
    );
    this.name = "UnclassifiedFieldError";
  }
}

type ObjectNode = ObjectTypeDefinitionNode | ObjectTypeExtensionNode;

function isObjectNode(node: DefinitionNode): node is ObjectNode {
  return node.kind === Kind.OBJECT_TYPE_DEFINITION || node.kind === Kind.OBJECT_TYPE_EXTENSION;
}

/** @throws UnclassifiedFieldError naming every unclassified field of the catalogued subgraphs */
export function assertClassified(subgraphs: ReadonlyArray<SubgraphSdl & { catalogued?: boolean }>): void {
  const missing: Array<{ subgraph: string; coordinate: string }> = [];
  for (const subgraph of subgraphs) {
    if (subgraph.catalogued === false) continue;
    for (const type of parse(subgraph.typeDefs).definitions.filter(isObjectNode)) {
      for (const field of type.fields ?? []) {
        if (!field.directives?.some((d) => d.name.value === CLASSIFICATION_DIRECTIVE)) {
          missing.push({ subgraph: subgraph.name, coordinate: `${type.name.value}.${field.name.value}` });
        }
      }
    }
  }
  if (missing.length > 0) throw new UnclassifiedFieldError(missing);
}
