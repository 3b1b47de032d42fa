// Prisma CLI configuration: the JS query engine with driver adapters, so no
// engine binary is ever downloaded. scripts/generate-prisma.ts runs the CLI
// once per agency schema, naming it in PRISMA_SCHEMA; migration SQL is diffed
// against an in-memory PGlite, so no database server is needed either.
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: process.env.PRISMA_SCHEMA ?? "subgraphs/civil-affairs/prisma/schema.prisma",
  adapter: async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    // pglite-prisma-adapter is typed against an older @prisma/driver-adapter-utils; the protocol is the same.
    return new PrismaPGlite(new PGlite()) as never;
  },
});
