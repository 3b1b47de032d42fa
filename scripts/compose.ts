// Composes the five agencies' subgraph SDL into schema/supergraph.graphql (run after changing any schema.graphql).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { composeSupergraph } from "../schema/composeSupergraph.ts";
import { agencySubgraphDefinitions } from "../schema/agencySubgraphDefinitions.ts";

const SUPERGRAPH = fileURLToPath(new URL("../schema/supergraph.graphql", import.meta.url));

function main(): void {
  try {
    writeFileSync(SUPERGRAPH, composeSupergraph(agencySubgraphDefinitions()));
    console.log(`composed ${SUPERGRAPH}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

main();
