import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SCALARS = fileURLToPath(new URL("../../schema/scalars.graphql", import.meta.url));
const CLASSIFICATION = fileURLToPath(new URL("../../schema/classification.graphql", import.meta.url));

/** The files an agency's subgraph SDL is made of, in order: the standard's shared scalars, the catalog's @classification, its own `schema.graphql`. */
export function subgraphSdlFiles(agencyDirectory: string): string[] {
  return [SCALARS, CLASSIFICATION, join(agencyDirectory, "schema.graphql")];
}

/** An agency's subgraph SDL: the standard's shared scalars and the catalog's @classification, followed by its own `schema.graphql`. */
export function readSubgraphTypeDefs(agencyDirectory: string): string {
  return subgraphSdlFiles(agencyDirectory).map((path) => readFileSync(path, "utf8")).join("\n");
}
