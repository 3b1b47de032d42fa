/**
 * Composes agency subgraphs into the supergraph with @apollo/composition,
 * after the one-datum-one-source check and the data catalog's classification check. The committed schema/supergraph.graphql
 * is this function's output for the five agencies at their default URLs.
 */
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { assertClassified } from "./assertClassified.ts";
import { assertOneDatumOneSource, type SubgraphSdl } from "./assertOneDatumOneSource.ts";

export interface SubgraphDefinition extends SubgraphSdl {
  url: string;
  /** Whether every field must carry @classification (agency data). The gateway's own subgraphs say false. @default true */
  catalogued?: boolean;
}

/** Thrown when @apollo/composition refuses the subgraphs; the message lists its errors. */
export class CompositionError extends Error {
  constructor(readonly messages: string[]) {
    super(`composition failed:\n  - ${messages.join("\n  - ")}`);
    this.name = "CompositionError";
  }
}

/** @returns the supergraph SDL @throws OneDatumOneSourceError | UnclassifiedFieldError | CompositionError */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[]): string {
  assertOneDatumOneSource(subgraphs);
  assertClassified(subgraphs);
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })));
  if (result.errors) throw new CompositionError(result.errors.map((error) => error.message));
  return result.supergraphSdl;
}
