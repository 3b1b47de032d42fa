/**
 * A sixth agency in one command, in a copy of the repository:
 * `npm run new-agency -- social-security --port 4006 --title 社会保障`
 * scaffolds it, lists it, writes its first migration and composes it; the
 * scaffolded test then queries its field through the gateway (with
 * permissions, audit and binding), with no gateway edit.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepository, type RepositoryCopy } from "../support/copyRepository.ts";

let clone: RepositoryCopy;
const env = { ...process.env, npm_config_update_notifier: "false", TEST_DB_PREFIX: `${process.env.TEST_DB_PREFIX ?? "test"}_scaffold` };

beforeAll(() => {
  clone = copyRepository({ withGeneratedClients: true });
});

afterAll(() => {
  clone?.remove();
});

describe("npm run new-agency", () => {
  it("scaffolds, lists, migrates and composes the agency", () => {
    const result = spawnSync("npm", ["run", "--silent", "new-agency", "--", "social-security", "--port", "4006", "--title", "社会保障"], { cwd: clone.root, encoding: "utf8", env });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    for (const file of ["schema.graphql", "resolvers.ts", "loaders.ts", "seed.ts", "server.ts", "main.ts", "prisma/schema.prisma", "prisma/migrations/0001_init/migration.sql"]) {
      expect(existsSync(join(clone.root, "subgraphs/social-security", file)), file).toBe(true);
    }
    expect(readFileSync(join(clone.root, "subgraphs/social-security/prisma/migrations/0001_init/migration.sql"), "utf8")).toContain('CREATE TABLE "social_security_status"');
    const manifest = JSON.parse(readFileSync(join(clone.root, "subgraphs/agencies.json"), "utf8")) as Array<{ name: string; defaultPort: number }>;
    expect(manifest.at(-1)).toMatchObject({ name: "social-security", defaultPort: 4006 });
    const supergraph = readFileSync(join(clone.root, "schema/supergraph.graphql"), "utf8");
    expect(supergraph).toMatch(/SOCIAL_SECURITY @join__graph\(name: "social-security", url: "http:\/\/127\.0\.0\.1:4006\/graphql"\)/);
    expect(supergraph).toContain("socialSecurityStatus: String");
  }, 300_000);

  it("refuses a name or port already taken", () => {
    const result = spawnSync("npm", ["run", "--silent", "new-agency", "--", "tax-two", "--port", "4004", "--title", "税务二"], { cwd: clone.root, encoding: "utf8", env });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("tax on port 4004");
  });

  it("passes its scaffolded test: the new field through the gateway, allowed and refused by scope", () => {
    const result = spawnSync("npx", ["vitest", "run", "tests/integration/agency-social-security.test.ts"], { cwd: clone.root, encoding: "utf8", env, timeout: 480_000 });
    expect(result.status, `${result.stdout}${result.stderr}`.slice(-4000)).toBe(0);
    expect(result.stdout).toMatch(/2 passed/);
  }, 500_000);
});
