/**
 * The supergraph the comparison gateways serve: the committed one, prepared
 * exactly as this gateway prepares its own copy for @apollo/gateway (no
 * `for: SECURITY` links, nullable output fields), with each subgraph's URL set
 * to where the bench started it. A subgraph the bench does not start (e.g.
 * one this gateway serves itself) gets a port nothing listens on; no
 * workload asks it anything.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Kind, parse, print, visit } from "graphql";
import { prepareSupergraphForGateway } from "../../gateway/supergraph/prepareSupergraphForGateway.ts";

/** The committed supergraph file. */
export const SUPERGRAPH_PATH = fileURLToPath(new URL("../../schema/supergraph.graphql", import.meta.url));

/** Writes the prepared supergraph with `urls` (by subgraph name) to `path`. */
export function writeBenchSupergraph(path: string, urls: Readonly<Record<string, string>>): void {
  const prepared = parse(prepareSupergraphForGateway(readFileSync(SUPERGRAPH_PATH, "utf8")));
  const withUrls = visit(prepared, {
    Directive(node) {
      if (node.name.value !== "join__graph") return undefined;
      const nameArgument = node.arguments?.find((a) => a.name.value === "name")?.value;
      const name = nameArgument?.kind === Kind.STRING ? nameArgument.value : undefined;
      const url = (name && urls[name]) || "http://127.0.0.1:9/graphql";
      return {
        ...node,
        arguments: node.arguments!.map((a) => (a.name.value === "url" ? { ...a, value: { kind: Kind.STRING, value: url } } : a)),
      };
    },
  });
  writeFileSync(path, print(withUrls));
}
