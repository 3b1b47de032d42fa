/** The credit bureau (信用): its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { fileURLToPath } from "node:url";
import type { Agency } from "../shared/agency.ts";
import { createCreditLoaders, type CreditLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedCreditDemo, seedCreditGenerated } from "./seed.ts";

export const credit: Agency<PrismaClient, CreditLoaders> = {
  name: "credit",
  title: "信用 credit",
  defaultPort: 4005,
  directory: fileURLToPath(new URL(".", import.meta.url)),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createCreditLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.creditReport.count()) === 0,
  seedDemo: seedCreditDemo,
  seedGenerated: seedCreditGenerated,
};
