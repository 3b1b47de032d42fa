/** The civil-affairs (民政) agency: its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { agencyEntry } from "../agencyManifest.ts";
import type { Agency } from "../shared/agency.ts";
import { createCivilAffairsLoaders, type CivilAffairsLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedCivilAffairsDemo, seedCivilAffairsGenerated } from "./seed.ts";

export const agency: Agency<PrismaClient, CivilAffairsLoaders> = {
  ...agencyEntry("civil-affairs"),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createCivilAffairsLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.citizen.count()) === 0,
  seedDemo: seedCivilAffairsDemo,
  seedGenerated: seedCivilAffairsGenerated,
};
