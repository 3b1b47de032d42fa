/** The real-estate registry (不动产登记): its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { fileURLToPath } from "node:url";
import type { Agency } from "../shared/agency.ts";
import { createRealEstateLoaders, type RealEstateLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedRealEstateDemo, seedRealEstateGenerated } from "./seed.ts";

export const realEstate: Agency<PrismaClient, RealEstateLoaders> = {
  name: "real-estate",
  title: "不动产登记 real estate",
  defaultPort: 4003,
  directory: fileURLToPath(new URL(".", import.meta.url)),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createRealEstateLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.property.count()) === 0,
  seedDemo: seedRealEstateDemo,
  seedGenerated: seedRealEstateGenerated,
};
