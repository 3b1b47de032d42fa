/**
 * The subgraphs composed into the supergraph, read from files only (the
 * agency manifest and each agency's schema.graphql): composition never
 * imports an agency's resolvers or its generated Prisma client, so it works
 * on a fresh clone.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { agencyDirectory, readAgencyManifest } from "../subgraphs/agencyManifest.ts";
import { SCALARS_SDL_PATH } from "../platform/subgraph/readSubgraphTypeDefs.ts";
import type { SubgraphDefinition } from "./composeSupergraph.ts";

/** Each listed agency's SDL at its default loopback URL (the gateway's config overrides the URLs). */
export function agencySubgraphDefinitions(): SubgraphDefinition[] {
  const scalars = readFileSync(SCALARS_SDL_PATH, "utf8");
  return readAgencyManifest().map((agency) => {
    const schemaPath = join(agencyDirectory(agency.name), "schema.graphql");
    return {
      name: agency.name,
      url: `http://127.0.0.1:${agency.defaultPort}/graphql`,
      // The same text readSubgraphTypeDefs gives the running subgraph: the scalars, then the agency's schema.
      typeDefs: `${scalars}\n${readFileSync(schemaPath, "utf8")}`,
      files: [
        { path: SCALARS_SDL_PATH, lines: lineCount(scalars) },
        { path: schemaPath, lines: Infinity },
      ],
    };
  });
}

const AUDIT_SDL = fileURLToPath(new URL("../gateway/audit/subgraph/schema.graphql", import.meta.url));

/** Everything composed into the supergraph: the agencies and the gateway's own audit subgraph (served by the gateway at /subgraphs/audit/graphql). */
export function supergraphSubgraphDefinitions(): SubgraphDefinition[] {
  return [
    ...agencySubgraphDefinitions(),
    {
      name: "audit",
      url: "http://127.0.0.1:4000/subgraphs/audit/graphql",
      typeDefs: readFileSync(AUDIT_SDL, "utf8"),
      files: [{ path: AUDIT_SDL, lines: Infinity }],
    },
  ];
}

/** Lines `text` takes when another text is appended after a "\n". */
function lineCount(text: string): number {
  return text.split("\n").length;
}
