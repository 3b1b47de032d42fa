/** The civil-affairs (民政) agency: its subgraph definition, built and started by ../shared/startSubgraph.ts. */
import { fileURLToPath } from "node:url";
import type { Agency } from "../shared/agency.ts";
import { createCivilAffairsLoaders, type CivilAffairsLoaders } from "./loaders.ts";
import { PrismaClient } from "./prisma/generated/client.ts";
import { resolvers } from "./resolvers.ts";
import { seedCivilAffairsDemo, seedCivilAffairsGenerated } from "./seed.ts";

export const civilAffairs: Agency<PrismaClient, CivilAffairsLoaders> = {
  name: "civil-affairs",
  title: "民政 civil affairs",
  defaultPort: 4001,
  directory: fileURLToPath(new URL(".", import.meta.url)),
  createClient: (options) => new PrismaClient(options),
  createLoaders: createCivilAffairsLoaders,
  resolvers,
  isEmpty: async (prisma) => (await prisma.citizen.count()) === 0,
  seedDemo: seedCivilAffairsDemo,
  seedGenerated: seedCivilAffairsGenerated,
};
