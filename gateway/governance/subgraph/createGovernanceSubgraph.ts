/**
 * The gateway's governance subgraph: the data catalog, apps, applications,
 * grants and usage, served from the gateway's database at
 * GOVERNANCE_SUBGRAPH_PATH with the same gateway-token check as every
 * agency's subgraph (like the audit subgraph).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import type { JSONWebKeySet } from "jose";
import { createSecuredSubgraph, type SecuredSubgraph } from "../../../platform/subgraph/createSecuredSubgraph.ts";
import type { Governance } from "../createGovernance.ts";
import type { Catalog } from "../readCatalog.ts";
import { governanceResolvers } from "./resolvers.ts";

export const GOVERNANCE_SUBGRAPH = "governance";
export const GOVERNANCE_SUBGRAPH_PATH = "/subgraphs/governance/graphql";

const GOVERNANCE_SDL = fileURLToPath(new URL("./schema.graphql", import.meta.url));

export function createGovernanceSubgraph(options: { governance: Governance; catalog: Catalog; gatewayJwks: JSONWebKeySet }): Promise<SecuredSubgraph> {
  return createSecuredSubgraph({
    name: GOVERNANCE_SUBGRAPH,
    typeDefs: parse(readFileSync(GOVERNANCE_SDL, "utf8")),
    resolvers: governanceResolvers,
    gatewayJwks: options.gatewayJwks,
    graphqlPath: GOVERNANCE_SUBGRAPH_PATH,
    context: () => ({ governance: options.governance, catalog: options.catalog }),
  });
}
