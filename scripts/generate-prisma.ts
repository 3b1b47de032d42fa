// Generates each service's Prisma client and each agency's resolver types (each skipped when unchanged); with
// --migrations [--name <snake_case>], also writes each changed schema's next migration (see nextMigration.ts).
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { agencyDirectory, readAgencyManifest } from "../subgraphs/agencyManifest.ts";
import { generateResolverTypes } from "./generateResolverTypes.ts";
import { isEmptyMigration, planMigration, writeMigration } from "./nextMigration.ts";
import { prismaSchemaPaths } from "./prismaSchemaPaths.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function prismaEnvironment(schema: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PRISMA_SCHEMA: schema,
    // The CLI needs a well-formed URL to stay on the JS engine; nothing connects to it.
    PRISMA_SCHEMA_URL: "postgresql://127.0.0.1:5432/prisma-cli",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  };
}

function prisma(args: string[], schema: string): string {
  const result = spawnSync(join(root, "node_modules/.bin/prisma"), args, { cwd: root, encoding: "utf8", env: prismaEnvironment(schema) });
  if (result.status !== 0) throw new Error(`prisma ${args[0]} failed for ${schema}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `prisma generate` for one schema, as a child process (several run at once: each is seconds of CLI start-up). */
async function prismaGenerate(schema: string): Promise<void> {
  try {
    await promisify(execFile)(join(root, "node_modules/.bin/prisma"), ["generate", "--schema", schema], { cwd: root, env: prismaEnvironment(schema) });
  } catch (error) {
    const { stderr = "", stdout = "" } = error as { stderr?: string; stdout?: string };
    throw new Error(`prisma generate failed for ${schema}:\n${stderr}${stdout}`);
  }
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

/** How many `prisma generate` run at once. */
const PARALLEL_GENERATES = 3;

async function generatePrismaClients(options: { writeMigrations: boolean; migrationName: string }): Promise<void> {
  const version = JSON.parse(readFileSync(join(root, "node_modules/prisma/package.json"), "utf8")).version;
  const stale: Array<{ schema: string; stampFile: string; stamp: string }> = [];
  for (const schema of prismaSchemaPaths()) {
    const folder = dirname(join(root, schema));
    if (options.writeMigrations) writeNextMigration(schema, join(folder, "migrations"), options.migrationName);
    const stamp = createHash("sha256").update(version).update(readFileSync(join(root, schema))).digest("hex");
    const stampFile = join(folder, "generated/.schema-stamp");
    if (!(existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp)) stale.push({ schema, stampFile, stamp });
  }
  const next = async (): Promise<void> => {
    const item = stale.shift();
    if (!item) return;
    await prismaGenerate(item.schema);
    writeFileSync(item.stampFile, item.stamp);
    console.log(`prisma client generated for ${item.schema}`);
    await next();
  };
  await Promise.all(Array.from({ length: PARALLEL_GENERATES }, next));
}

async function generateAllResolverTypes(): Promise<void> {
  for (const agency of readAgencyManifest()) {
    if (await generateResolverTypes(agencyDirectory(agency.name))) console.log(`resolver types generated for subgraphs/${agency.name}`);
  }
}

/**
 * Generates whatever is out of date (each output is skipped when its stamp says its inputs are unchanged).
 * `resolverTypes: false` leaves out the resolver types, which only the type checker reads (npm start needs none).
 */
export async function generate(options: { writeMigrations?: boolean; migrationName?: string; resolverTypes?: boolean } = {}): Promise<void> {
  await generatePrismaClients({ writeMigrations: options.writeMigrations ?? false, migrationName: options.migrationName ?? "change" });
  if (options.resolverTypes ?? true) await generateAllResolverTypes();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const nameAt = process.argv.indexOf("--name");
  try {
    await generate({ writeMigrations: process.argv.includes("--migrations"), migrationName: nameAt > 0 ? process.argv[nameAt + 1] ?? "" : "change" });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
