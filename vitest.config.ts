import { defineConfig } from "vitest/config";

// Tiers live in folders: tests/unit (pure), tests/integration (real subgraphs,
// gateway and databases over HTTP on loopback). `.ci/run` runs the integration
// tier a second time with DATABASE_URL pointing at a PostgreSQL server.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
