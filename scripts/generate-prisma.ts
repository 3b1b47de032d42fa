// Generates each service's Prisma client (skipped when its schema is unchanged);
// with --migrations, also rewrites every 0001_init/migration.sql from its schema.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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

function main(): void {
  const writeMigrations = process.argv.includes("--migrations");
  const version = JSON.parse(readFileSync(join(root, "node_modules/prisma/package.json"), "utf8")).version;
  for (const schema of prismaSchemaPaths()) {
    const folder = dirname(join(root, schema));
    if (writeMigrations) {
      const sql = prisma(["migrate", "diff", "--from-empty", "--to-schema-datamodel", schema, "--script"], schema);
      mkdirSync(join(folder, "migrations/0001_init"), { recursive: true });
      const extra = join(folder, "migrations/0001_init/extra.sql");
      writeFileSync(join(folder, "migrations/0001_init/migration.sql"), sql + (existsSync(extra) ? `\n${readFileSync(extra, "utf8")}` : ""));
      console.log(`migration written for ${schema}`);
    }
    const stamp = createHash("sha256").update(version).update(readFileSync(join(root, schema))).digest("hex");
    const stampFile = join(folder, "generated/.schema-stamp");
    if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) continue;
    prisma(["generate", "--schema", schema], schema);
    writeFileSync(stampFile, stamp);
    console.log(`prisma client generated for ${schema}`);
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
