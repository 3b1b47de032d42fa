/**
 * Composes agency subgraphs into the supergraph with @apollo/composition,
 * after the one-datum-one-source check and the data catalog's classification
 * check. The committed schema/supergraph.graphql is this function's output
 * for the agencies at their default URLs. Errors name the file and line they
 * come from when the subgraph says its files.
 */
import { composeServices } from "@apollo/composition";
import { GraphQLError, Source, parse, type DocumentNode } from "graphql";
import { assertClassified } from "./assertClassified.ts";
import { assertOneDatumOneSource, type SubgraphSdl } from "./assertOneDatumOneSource.ts";

export interface SubgraphDefinition extends SubgraphSdl {
  url: string;
  /**
   * The files `typeDefs` was concatenated from, in order, each with its line
   * count (`Infinity` for the last), so errors can name `file:line`.
   */
  files?: ReadonlyArray<{ path: string; lines: number }>;
  /** Whether every field must carry @classification (agency data). The gateway's own subgraphs say false. @default true */
  catalogued?: boolean;
}

/** Thrown when @apollo/composition refuses the subgraphs, or a subgraph's SDL does not parse; the message lists its errors. */
export class CompositionError extends Error {
  constructor(readonly messages: string[]) {
    super(`composition failed:\n  - ${messages.join("\n  - ")}`);
    this.name = "CompositionError";
  }
}

/** @returns the supergraph SDL @throws OneDatumOneSourceError | UnclassifiedFieldError | CompositionError */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[]): string {
  const byName = new Map(subgraphs.map((s) => [s.name, s]));
  const documents: Array<{ name: string; url: string; typeDefs: DocumentNode }> = [];
  const syntaxErrors: string[] = [];
  for (const subgraph of subgraphs) {
    try {
      documents.push({ name: subgraph.name, url: subgraph.url, typeDefs: parse(new Source(subgraph.typeDefs, subgraph.name)) });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      syntaxErrors.push(withPlaces(error, byName));
    }
  }
  if (syntaxErrors.length > 0) throw new CompositionError(syntaxErrors);
  assertOneDatumOneSource(subgraphs);
  assertClassified(subgraphs);
  const result = composeServices(documents);
  if (result.errors) throw new CompositionError(result.errors.map((error) => withPlaces(error, byName)));
  return result.supergraphSdl;
}

/** The error's message followed by `file:line:column` of each place it points at (subgraph name and line when files are unknown). */
function withPlaces(error: GraphQLError, subgraphs: ReadonlyMap<string, SubgraphDefinition>): string {
  const places = new Set<string>();
  const sources = error.source ? [{ source: error.source, positions: error.positions ?? [] }] : [];
  for (const node of error.nodes ?? []) if (node.loc) sources.push({ source: node.loc.source, positions: [node.loc.start] });
  for (const { source, positions } of sources) {
    for (const position of positions) {
      const { line, column } = lineAndColumn(source.body, position);
      places.add(placeOf(subgraphs.get(source.name), source.name, line, column));
    }
  }
  return places.size > 0 ? `${error.message} (${[...places].join(", ")})` : error.message;
}

function lineAndColumn(body: string, position: number): { line: number; column: number } {
  const before = body.slice(0, position).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

function placeOf(subgraph: SubgraphDefinition | undefined, name: string, line: number, column: number): string {
  let remaining = line;
  for (const file of subgraph?.files ?? []) {
    if (remaining <= file.lines) return `${file.path}:${remaining}:${column}`;
    remaining -= file.lines;
  }
  return `subgraph ${name}, line ${line}:${column}`;
}
