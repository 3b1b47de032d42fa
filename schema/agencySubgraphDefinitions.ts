import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { agencies } from "../subgraphs/agencies.ts";
import { readSubgraphTypeDefs } from "../platform/subgraph/readSubgraphTypeDefs.ts";
import type { SubgraphDefinition } from "./composeSupergraph.ts";

/** The five agencies' SDL at their default loopback URLs (the gateway's config overrides the URLs). */
export function agencySubgraphDefinitions(): SubgraphDefinition[] {
  return agencies.map((agency) => ({
    name: agency.name,
    url: `http://127.0.0.1:${agency.defaultPort}/graphql`,
    typeDefs: readSubgraphTypeDefs(agency.directory),
  }));
}

const AUDIT_SDL = fileURLToPath(new URL("../gateway/audit/subgraph/schema.graphql", import.meta.url));
const GOVERNANCE_SDL = fileURLToPath(new URL("../gateway/governance/subgraph/schema.graphql", import.meta.url));

/** Everything composed into the supergraph: the five agencies and the gateway's own audit and governance subgraphs (served by the gateway at /subgraphs/<name>/graphql). */
export function supergraphSubgraphDefinitions(): SubgraphDefinition[] {
  return [
    ...agencySubgraphDefinitions(),
    { name: "audit", url: "http://127.0.0.1:4000/subgraphs/audit/graphql", typeDefs: readFileSync(AUDIT_SDL, "utf8"), catalogued: false },
    { name: "governance", url: "http://127.0.0.1:4000/subgraphs/governance/graphql", typeDefs: readFileSync(GOVERNANCE_SDL, "utf8"), catalogued: false },
  ];
}
