// Generates each service's Prisma client and each agency's resolver types (each skipped when unchanged); with
// --migrations [--name <snake_case>], also writes each changed schema's next migration (see nextMigration.ts).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { agencyDirectory, readAgencyManifest } from "../subgraphs/agencyManifest.ts";
import { generateResolverTypes } from "./generateResolverTypes.ts";
import { isEmptyMigration, planMigration, writeMigration } from "./nextMigration.ts";
import { prismaSchemaPaths } from "./prismaSchemaPaths.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function prisma(args: string[], schema: string): string {
  const result = spawnSync(join(root, "node_modules/.bin/prisma"), args, {
    cwd: root,
    encoding: "utf8",
    env: {
      ...process.env,
      PRISMA_SCHEMA: schema,
      // The CLI needs a well-formed URL to stay on the JS engine; nothing connects to it.
      PRISMA_SCHEMA_URL: "postgresql://127.0.0.1:5432/prisma-cli",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
    },
  });
  if (result.status !== 0) throw new Error(`prisma ${args[0]} failed for ${schema}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Writes the schema's first migration, or its next one when the schema changed since the latest. */
function writeNextMigration(schema: string, migrationsDir: string, name: string): void {
  const plan = planMigration(migrationsDir);
  if (plan.kind === "hand-written") {
    console.log(`${schema}: migrations written by hand (no schema snapshot in ${plan.latest}); none written`);
    return;
  }
  if (plan.kind === "first") {
    const sql = prisma(["migrate", "diff", "--from-empty", "--to-schema-datamodel", schema, "--script"], schema);
    console.log(`${schema}: first migration ${writeMigration(migrationsDir, 1, "init", sql, join(root, schema))}`);
    return;
  }
  // Unchanged since the latest migration: nothing to diff (and no CLI start, which is slow).
  if (readFileSync(plan.fromSnapshot, "utf8") === readFileSync(join(root, schema), "utf8")) return;
  const sql = prisma(["migrate", "diff", "--from-schema-datamodel", plan.fromSnapshot, "--to-schema-datamodel", schema, "--script"], schema);
  if (isEmptyMigration(sql)) return;
  console.log(`${schema}: new migration ${writeMigration(migrationsDir, plan.number, name, sql, join(root, schema))}`);
}

function main(): void {
  const writeMigrations = process.argv.includes("--migrations");
  const nameAt = process.argv.indexOf("--name");
  const migrationName = nameAt > 0 ? process.argv[nameAt + 1] ?? "" : "change";
  const version = JSON.parse(readFileSync(join(root, "node_modules/prisma/package.json"), "utf8")).version;
  for (const schema of prismaSchemaPaths()) {
    const folder = dirname(join(root, schema));
    if (writeMigrations) writeNextMigration(schema, join(folder, "migrations"), migrationName);
    const stamp = createHash("sha256").update(version).update(readFileSync(join(root, schema))).digest("hex");
    const stampFile = join(folder, "generated/.schema-stamp");
    if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) continue;
    prisma(["generate", "--schema", schema], schema);
    writeFileSync(stampFile, stamp);
    console.log(`prisma client generated for ${schema}`);
  }
}

async function generateAllResolverTypes(): Promise<void> {
  for (const agency of readAgencyManifest()) {
    if (await generateResolverTypes(agencyDirectory(agency.name))) console.log(`resolver types generated for subgraphs/${agency.name}`);
  }
}

try {
  main();
  await generateAllResolverTypes();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
