/**
 * The subgraphs composed into the supergraph, read from files only (the
 * agency manifest and each agency's SDL files): composition never imports an
 * agency's resolvers or its generated Prisma client, so it works on a fresh
 * clone.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { agencyDirectory, readAgencyManifest } from "../subgraphs/agencyManifest.ts";
import { subgraphSdlFiles } from "../platform/subgraph/readSubgraphTypeDefs.ts";
import type { SubgraphDefinition } from "./composeSupergraph.ts";

/** Each listed agency's SDL at its default loopback URL (the gateway's config overrides the URLs). */
export function agencySubgraphDefinitions(): SubgraphDefinition[] {
  return readAgencyManifest().map((agency) => {
    // The same text readSubgraphTypeDefs gives the running subgraph, with each file's line count for error places.
    const files = subgraphSdlFiles(agencyDirectory(agency.name)).map((path) => ({ path, text: readFileSync(path, "utf8") }));
    return {
      name: agency.name,
      url: `http://127.0.0.1:${agency.defaultPort}/graphql`,
      typeDefs: files.map((file) => file.text).join("\n"),
      files: files.map((file) => ({ path: file.path, lines: file.text.split("\n").length })),
    };
  });
}

const AUDIT_SDL = fileURLToPath(new URL("../gateway/audit/subgraph/schema.graphql", import.meta.url));
const GOVERNANCE_SDL = fileURLToPath(new URL("../gateway/governance/subgraph/schema.graphql", import.meta.url));

/** Everything composed into the supergraph: the agencies and the gateway's own audit and governance subgraphs (served by the gateway at /subgraphs/<name>/graphql). */
export function supergraphSubgraphDefinitions(): SubgraphDefinition[] {
  return [
    ...agencySubgraphDefinitions(),
    {
      name: "audit",
      url: "http://127.0.0.1:4000/subgraphs/audit/graphql",
      typeDefs: readFileSync(AUDIT_SDL, "utf8"),
      files: [{ path: AUDIT_SDL, lines: Infinity }],
      catalogued: false,
    },
    {
      name: "governance",
      url: "http://127.0.0.1:4000/subgraphs/governance/graphql",
      typeDefs: readFileSync(GOVERNANCE_SDL, "utf8"),
      files: [{ path: GOVERNANCE_SDL, lines: Infinity }],
      catalogued: false,
    },
  ];
}
