/**
 * Incremental migrations. Each migration folder (`0001_init`, `0002_<name>`,
 * ...) keeps, beside its `migration.sql`, the Prisma schema it brings the
 * database to (`schema.prisma`). The next migration is the diff from the
 * latest folder's schema to the current one (`prisma migrate diff
 * --from-schema-datamodel ... --to-schema-datamodel ...`): no database,
 * shadow or otherwise, is needed, and no earlier migration is ever rewritten.
 * (`--from-migrations` would need a shadow database; on PGlite it cannot
 * apply multi-statement migrations.)
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The schema each migration folder brings the database to. */
export const MIGRATION_SNAPSHOT = "schema.prisma";

export type MigrationPlan =
  | { kind: "first" }
  | { kind: "next"; number: number; fromSnapshot: string }
  /** The latest folder has no snapshot: its migrations are written by hand (e.g. the audit log's triggers). */
  | { kind: "hand-written"; latest: string };

/** What `--migrations` would do for a migrations folder. */
export function planMigration(migrationsDir: string): MigrationPlan {
  const folders = existsSync(migrationsDir)
    ? readdirSync(migrationsDir, { withFileTypes: true }).filter((entry) => entry.isDirectory() && /^\d{4}_/.test(entry.name)).map((entry) => entry.name).sort()
    : [];
  const latest = folders.at(-1);
  if (!latest) return { kind: "first" };
  const snapshot = join(migrationsDir, latest, MIGRATION_SNAPSHOT);
  if (!existsSync(snapshot)) return { kind: "hand-written", latest };
  return { kind: "next", number: Number(latest.slice(0, 4)) + 1, fromSnapshot: snapshot };
}

/** Whether `prisma migrate diff --script` found nothing to do. */
export function isEmptyMigration(sql: string): boolean {
  return sql.replace(/--[^\n]*\n?/g, "").trim() === "";
}

/**
 * Writes `<number>_<name>/migration.sql` and its schema snapshot.
 * @returns the folder name
 * @throws Error when `name` is not snake_case
 */
export function writeMigration(migrationsDir: string, number: number, name: string, sql: string, schemaPath: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`--name must be snake_case ([a-z0-9_]), got ${JSON.stringify(name)}`);
  const folder = `${String(number).padStart(4, "0")}_${name}`;
  mkdirSync(join(migrationsDir, folder), { recursive: true });
  writeFileSync(join(migrationsDir, folder, "migration.sql"), sql);
  copyFileSync(schemaPath, join(migrationsDir, folder, MIGRATION_SNAPSHOT));
  return folder;
}
