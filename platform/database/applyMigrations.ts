/**
 * Applies a service's committed migration SQL (written by
 * `prisma migrate diff`) in file order, each once, each in its own
 * transaction, recording it in `_schema_migrations`. Serialized across
 * processes by an advisory lock, so replicas starting together are safe.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";

/** The two things migrations need from a connection. */
export interface SqlSession {
  /** Runs one or more statements with no parameters. */
  exec(sql: string): Promise<void>;
  /**
   * Runs one statement and returns its rows. With `prepareAs`, a PostgreSQL
   * server parses the statement once per connection under that name (for the
   * statements every request runs; one name, one text).
   */
  query<Row>(sql: string, params?: unknown[], prepareAs?: string): Promise<Row[]>;
  /**
   * Streams `COPY (...) TO STDOUT` (text format) on a connection of its own,
   * chunk by chunk: PostgreSQL server only (absent on PGlite).
   */
  copyOut?(sql: string): AsyncIterable<Buffer>;
  /**
   * The database's connection string, for work done on connections of its
   * own in worker threads (`verify --full`): PostgreSQL server only.
   */
  serverUrl?: string;
}

const MIGRATION_LOCK = 4_211_2025;

/** Applies every migration under `migrationsDir` not yet recorded. @returns the names applied */
export async function applyMigrations(session: SqlSession, migrationsDir: string): Promise<string[]> {
  const names = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  await session.exec(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
  try {
    await session.exec(
      `CREATE TABLE IF NOT EXISTS _schema_migrations (
         name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Map(
      (await session.query<{ name: string; checksum: string }>("SELECT name, checksum FROM _schema_migrations")).map(
        (row) => [row.name, row.checksum],
      ),
    );
    const applied: string[] = [];
    for (const name of names) {
      if (!/^[0-9a-z_]+$/.test(name)) throw new Error(`migration folder name must be [0-9a-z_]: ${name}`);
      const sql = readFileSync(join(migrationsDir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      const recorded = done.get(name);
      if (recorded !== undefined) {
        if (recorded !== checksum) throw new Error(`migration ${name} was edited after it was applied`);
        continue;
      }
      await session.exec(`BEGIN;\n${sql}\n;INSERT INTO _schema_migrations (name, checksum) VALUES ('${name}', '${checksum}');\nCOMMIT;`);
      applied.push(name);
    }
    return applied;
  } catch (error) {
    await session.exec("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await session.exec(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
  }
}
