/** The real-estate registry (不动产登记): its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { agencyEntry } from "../agencyManifest.ts";
import type { Agency } from "../shared/agency.ts";
import { createRealEstateLoaders, type RealEstateLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedRealEstateDemo, seedRealEstateGenerated } from "./seed.ts";

export const agency: Agency<PrismaClient, RealEstateLoaders> = {
  ...agencyEntry("real-estate"),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createRealEstateLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.property.count()) === 0,
  seedDemo: seedRealEstateDemo,
  seedGenerated: seedRealEstateGenerated,
};
