/** The housing-fund (住房公积金) agency: its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { agencyEntry } from "../agencyManifest.ts";
import type { Agency } from "../shared/agency.ts";
import { createHousingFundLoaders, type HousingFundLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedHousingFundDemo, seedHousingFundGenerated } from "./seed.ts";

export const agency: Agency<PrismaClient, HousingFundLoaders> = {
  ...agencyEntry("housing-fund"),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createHousingFundLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.account.count()) === 0,
  seedDemo: seedHousingFundDemo,
  seedGenerated: seedHousingFundGenerated,
};
