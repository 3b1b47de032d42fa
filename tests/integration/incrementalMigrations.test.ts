/**
 * Incremental migrations, in a copy of the repository: an agency database
 * already holds rows; a column is added to the agency's Prisma schema;
 * `npm run generate -- --migrations --name <name>` writes `0002_<name>` from
 * the previous migration's schema (never touching 0001_init), and the
 * agency's start-up applies it: the rows are still there, with the new column.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../platform/database/applyMigrations.ts";
import { ensureDevKeys } from "../../platform/security/keys.ts";
import { copyRepository, type RepositoryCopy } from "../support/copyRepository.ts";

let clone: RepositoryCopy;
let dataDir: string;
let migrations: string;
let firstMigration: string;

const ROWS = [
  ["140105198605150031", 2025, "186000.00", "9480.00"],
  ["140105198803120028", 2025, "124000.00", "3720.00"],
  ["330106197501050017", 2025, "310000.00", "43080.00"],
] as const;

async function withTaxDatabase<T>(use: (db: PGlite) => Promise<T>): Promise<T> {
  const db = await PGlite.create(join(dataDir, "tax"));
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

const npmRun = (...args: string[]) =>
  spawnSync("npm", ["run", "--silent", ...args], { cwd: clone.root, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });

beforeAll(async () => {
  clone = copyRepository({ withGeneratedClients: true });
  dataDir = join(clone.root, ".data");
  migrations = join(clone.root, "subgraphs/tax/prisma/migrations");
  firstMigration = readFileSync(join(migrations, "0001_init/migration.sql"), "utf8");
  mkdirSync(dataDir, { recursive: true });
  // The agency as it runs today, holding rows.
  await withTaxDatabase(async (db) => {
    const session = { exec: async (sql: string) => void (await db.exec(sql)), query: async <Row>(sql: string, params?: unknown[]) => (await db.query<Row>(sql, params)).rows };
    expect(await applyMigrations(session, migrations)).toEqual(["0001_init"]);
    for (const row of ROWS) await db.query("INSERT INTO income_record (citizen_id, year, total_income, tax_paid) VALUES ($1, $2, $3, $4)", [...row]);
  });
}, 120_000);

afterAll(() => {
  clone?.remove();
});

describe("incremental migrations", () => {
  it("writes nothing while the schema is unchanged", () => {
    const result = npmRun("generate", "--", "--migrations", "--name", "nothing");
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(migrations, "0002_nothing"))).toBe(false);
  }, 300_000);

  it("writes 0002_<name> for an added column, from the previous migration's schema, leaving 0001_init as it was", () => {
    const schemaPath = join(clone.root, "subgraphs/tax/prisma/schema.prisma");
    const schema = readFileSync(schemaPath, "utf8");
    writeFileSync(schemaPath, schema.replace(/(  taxPaid +Decimal[^\n]*\n)/, `$1  note        String? @db.VarChar(200)\n`));
    const result = npmRun("generate", "--", "--migrations", "--name", "income_note");
    expect(result.status, result.stderr).toBe(0);
    const sql = readFileSync(join(migrations, "0002_income_note/migration.sql"), "utf8");
    expect(sql).toMatch(/ALTER TABLE "income_record" ADD COLUMN\s+"note" VARCHAR\(200\)/);
    expect(sql).not.toMatch(/CREATE TABLE/);
    expect(readFileSync(join(migrations, "0001_init/migration.sql"), "utf8")).toBe(firstMigration);
    // The next change is computed from this one's schema: running again writes nothing.
    expect(npmRun("generate", "--", "--migrations", "--name", "again").status).toBe(0);
    expect(existsSync(join(migrations, "0003_again"))).toBe(false);
  }, 300_000);

  it("applies the new migration when the agency starts, and its rows survive", async () => {
    await ensureDevKeys(dataDir);
    const agency = spawn(process.execPath, ["--import", "tsx", "subgraphs/tax/main.ts"], {
      cwd: clone.root,
      env: { ...process.env, DATA_DIR: dataDir, PORT: "0", METRICS_PORT: "0", DATABASE_URL: "", TAX_DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/ready at http/.test(output)) resolve();
      };
      agency.stdout!.on("data", onData);
      agency.stderr!.on("data", onData);
      agency.once("exit", (code) => reject(new Error(`the tax subgraph exited (${code}):\n${output}`)));
    });
    const exited = new Promise((resolve) => agency.once("exit", resolve));
    agency.kill("SIGTERM");
    await exited;

    await withTaxDatabase(async (db) => {
      const applied = (await db.query<{ name: string }>("SELECT name FROM _schema_migrations ORDER BY name")).rows.map((row) => row.name);
      expect(applied).toEqual(["0001_init", "0002_income_note"]);
      const rows = (await db.query<{ citizen_id: string; total_income: string; note: string | null }>("SELECT citizen_id, total_income::text, note FROM income_record ORDER BY citizen_id")).rows;
      expect(rows).toEqual(
        [...ROWS].sort((a, b) => a[0].localeCompare(b[0])).map(([citizenId, , totalIncome]) => ({ citizen_id: citizenId, total_income: totalIncome, note: null })),
      );
    });
  }, 300_000);
});
