// Composes the five agencies' and the audit log's subgraph SDL into schema/supergraph.graphql (run after changing any schema.graphql).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { composeSupergraph } from "../schema/composeSupergraph.ts";
import { supergraphSubgraphDefinitions } from "../schema/agencySubgraphDefinitions.ts";

const SUPERGRAPH = fileURLToPath(new URL("../schema/supergraph.graphql", import.meta.url));

function main(): void {
  try {
    writeFileSync(SUPERGRAPH, composeSupergraph(supergraphSubgraphDefinitions()));
    console.log(`composed ${SUPERGRAPH}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

main();
