/**
 * What a new developer runs first, on a fresh clone (no generated Prisma
 * clients): `npm run compose` composes the committed supergraph, and its
 * errors name the file and line; `npm run typecheck` generates the clients
 * first and passes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepository, type RepositoryCopy } from "../support/copyRepository.ts";

let clone: RepositoryCopy;

beforeAll(() => {
  clone = copyRepository();
});

afterAll(() => {
  clone?.remove();
});

const npmRun = (...args: string[]) =>
  spawnSync("npm", ["run", "--silent", ...args], { cwd: clone.root, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });

describe("a fresh clone", () => {
  it("has no generated Prisma client", () => {
    expect(existsSync(join(clone.root, "subgraphs/tax/prisma/generated"))).toBe(false);
  });

  it("composes the committed supergraph with npm run compose", () => {
    const committed = readFileSync(join(clone.root, "schema/supergraph.graphql"), "utf8");
    const result = npmRun("compose");
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(clone.root, "schema/supergraph.graphql"), "utf8")).toBe(committed);
  });

  it("names the file and line of a schema error", () => {
    const schemaPath = join(clone.root, "subgraphs/tax/schema.graphql");
    const schema = readFileSync(schemaPath, "utf8");
    const lines = schema.split("\n");
    const line = lines.findIndex((text) => text.includes("taxPaid: Money!")) + 1;
    writeFileSync(schemaPath, schema.replace("taxPaid: Money!", "taxPaid: Mony!"));
    try {
      const result = npmRun("compose");
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("Mony");
      expect(result.stderr).toContain(`subgraphs/tax/schema.graphql:${line}:`);
    } finally {
      writeFileSync(schemaPath, schema);
    }
  });

  it("passes npm run typecheck (which generates the Prisma clients first)", () => {
    const result = npmRun("typecheck");
    expect(result.status, `${result.stdout}${result.stderr}`.slice(-4000)).toBe(0);
    expect(existsSync(join(clone.root, "subgraphs/tax/prisma/generated"))).toBe(true);
  }, 600_000);
});
