import { agencies } from "../subgraphs/agencies.ts";
import { readSubgraphTypeDefs } from "../subgraphs/shared/readSubgraphTypeDefs.ts";
import type { SubgraphDefinition } from "./composeSupergraph.ts";

/** The five agencies' SDL at their default loopback URLs (the gateway's config overrides the URLs). */
export function agencySubgraphDefinitions(): SubgraphDefinition[] {
  return agencies.map((agency) => ({
    name: agency.name,
    url: `http://127.0.0.1:${agency.defaultPort}/graphql`,
    typeDefs: readSubgraphTypeDefs(agency.directory),
  }));
}
