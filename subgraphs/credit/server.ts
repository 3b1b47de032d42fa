/** The credit bureau (信用): its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { agencyEntry } from "../agencyManifest.ts";
import type { Agency } from "../shared/agency.ts";
import { createCreditLoaders, type CreditLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedCreditDemo, seedCreditGenerated } from "./seed.ts";

export const agency: Agency<PrismaClient, CreditLoaders> = {
  ...agencyEntry("credit"),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createCreditLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.creditReport.count()) === 0,
  seedDemo: seedCreditDemo,
  seedGenerated: seedCreditGenerated,
};
