import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The standard's scalars, included at the top of every agency's SDL. */
export const SCALARS_SDL_PATH = fileURLToPath(new URL("../../schema/scalars.graphql", import.meta.url));

/** An agency's subgraph SDL: the standard's shared scalars followed by its own `schema.graphql`. */
export function readSubgraphTypeDefs(agencyDirectory: string): string {
  return `${readFileSync(SCALARS_SDL_PATH, "utf8")}\n${readFileSync(join(agencyDirectory, "schema.graphql"), "utf8")}`;
}
