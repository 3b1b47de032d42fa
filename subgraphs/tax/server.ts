/** The tax bureau (税务): its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { fileURLToPath } from "node:url";
import type { Agency } from "../shared/agency.ts";
import { createTaxLoaders, type TaxLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedTaxDemo, seedTaxGenerated } from "./seed.ts";

export const tax: Agency<PrismaClient, TaxLoaders> = {
  name: "tax",
  title: "税务 tax",
  defaultPort: 4004,
  directory: fileURLToPath(new URL(".", import.meta.url)),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createTaxLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.incomeRecord.count()) === 0,
  seedDemo: seedTaxDemo,
  seedGenerated: seedTaxGenerated,
};
