/**
 * What an agency contributes to the platform. Everything else a subgraph
 * needs (config, database, HTTP, scalars, errors) is shared plumbing.
 */
import type { PrismaClientOptions, PrismaLike } from "../../platform/database/openDatabase.ts";
import type { SubgraphCaller } from "../../platform/subgraph/createGatewayTokenVerifier.ts";

/** The per-request context every resolver receives. */
export interface SubgraphContext<Client, Loaders> {
  prisma: Client;
  /** Fresh per request: batching and caching never cross requests. */
  loaders: Loaders;
  /** The app the gateway vouched for; its scopes and citizen binding are enforced by ./enforceAccess.ts. */
  caller: SubgraphCaller;
  /** Citizens whose data this request read or was refused; reported to the gateway in `extensions.citizensRead`. */
  citizensRead: Set<string>;
}

/** A range of generated citizens, by index (see `generatedCitizens.ts`). */
export interface CitizenRange {
  from: number;
  count: number;
}

export interface Agency<Client extends PrismaLike = PrismaLike, Loaders = unknown> {
  /** The subgraph's name in the supergraph, e.g. `housing-fund`. */
  name: string;
  /** Who runs it, for people: e.g. `住房公积金 housing fund`. */
  title: string;
  /** Where it listens unless PORT says otherwise. */
  defaultPort: number;
  /** Absolute path of the agency's folder (schema.graphql, prisma/). */
  directory: string;
  createClient(options: PrismaClientOptions): Client;
  createLoaders(prisma: Client): Loaders;
  /**
   * Its resolvers, type-checked where they are written: `Resolvers<Context>`
   * generated from its SDL (`generated/resolverTypes.ts`, by npm run generate).
   */
  resolvers: object;
  /** Whether the database holds no records yet. */
  isEmpty(prisma: Client): Promise<boolean>;
  /** Writes the standard's demo citizens' records. */
  seedDemo(prisma: Client): Promise<void>;
  /** Writes the records of generated citizens in `range`; idempotent. @returns rows written */
  seedGenerated(prisma: Client, range: CitizenRange): Promise<number>;
}
