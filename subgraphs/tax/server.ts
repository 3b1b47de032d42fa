/** The tax bureau (税务): its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { agencyEntry } from "../agencyManifest.ts";
import type { Agency } from "../shared/agency.ts";
import { createTaxLoaders, type TaxLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedTaxDemo, seedTaxGenerated } from "./seed.ts";

export const agency: Agency<PrismaClient, TaxLoaders> = {
  ...agencyEntry("tax"),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createTaxLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.incomeRecord.count()) === 0,
  seedDemo: seedTaxDemo,
  seedGenerated: seedTaxGenerated,
};
