import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

// Tiers live in folders: tests/unit (pure), tests/integration (real subgraphs,
// gateway and databases over HTTP on loopback). `.ci/run` runs the integration
// tier a second time with DATABASE_URL pointing at a PostgreSQL server.
export default defineConfig({
  // Node loads graphql's CommonJS build (package "main"), as Apollo's packages do;
  // Vite would pick the ESM build and leave two graphql instances in one process.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }] },
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
