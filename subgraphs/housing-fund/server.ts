/** The housing-fund (住房公积金) agency: its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { fileURLToPath } from "node:url";
import type { Agency } from "../shared/agency.ts";
import { createHousingFundLoaders, type HousingFundLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedHousingFundDemo, seedHousingFundGenerated } from "./seed.ts";

export const housingFund: Agency<PrismaClient, HousingFundLoaders> = {
  name: "housing-fund",
  title: "住房公积金 housing fund",
  defaultPort: 4002,
  directory: fileURLToPath(new URL(".", import.meta.url)),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createHousingFundLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.account.count()) === 0,
  seedDemo: seedHousingFundDemo,
  seedGenerated: seedHousingFundGenerated,
};
