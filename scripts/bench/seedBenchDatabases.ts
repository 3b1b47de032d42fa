/**
 * Fresh agency databases for one bench run, seeded with the demo citizens and
 * `citizens` generated ones (each agency's `seedGenerated`, as `npm run seed`
 * does): PGlite under the run's own DATA_DIR, or, when DATABASE_URL is set,
 * databases `bench_<agency>` on that server, dropped and recreated.
 */
import { join } from "node:path";
import pg from "pg";
import { openDatabase } from "../../platform/database/openDatabase.ts";
import { databaseNameOf, databaseUrlVariableOf, withDatabaseName, type DatabaseLocation } from "../../platform/database/databaseUrl.ts";
import type { Agency } from "../../subgraphs/shared/agency.ts";

const CHUNK = 10_000;

/** Where agency `name` keeps its bench data. */
export function benchDatabaseOf(name: string, dataDir: string, databaseUrl: string | undefined): DatabaseLocation {
  if (!databaseUrl) return { kind: "pglite", dataDir: join(dataDir, name) };
  const databaseName = `bench_${databaseNameOf(name)}`;
  return { kind: "postgres", url: withDatabaseName(databaseUrl, databaseName), databaseName };
}

/** The environment that points an agency's subgraph process at its bench database. */
export function benchDatabaseEnv(name: string, dataDir: string, databaseUrl: string | undefined): NodeJS.ProcessEnv {
  const location = benchDatabaseOf(name, dataDir, databaseUrl);
  return location.kind === "postgres" ? { [databaseUrlVariableOf(name)]: location.url } : { DATA_DIR: dataDir };
}

async function dropDatabase(serverUrl: string, databaseName: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabaseName(serverUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Drops the run's PostgreSQL databases (subgraphs and gateway stopped). */
export async function dropBenchDatabases(names: readonly string[], databaseUrl: string): Promise<void> {
  for (const name of names) await dropDatabase(databaseUrl, `bench_${databaseNameOf(name)}`);
}

export async function seedBenchDatabases(options: {
  agencies: readonly Agency<any, any>[];
  citizens: number;
  dataDir: string;
  databaseUrl: string | undefined;
  progress(line: string): void;
}): Promise<void> {
  for (const agency of options.agencies) {
    const started = Date.now();
    const location = benchDatabaseOf(agency.name, options.dataDir, options.databaseUrl);
    if (location.kind === "postgres") await dropDatabase(options.databaseUrl!, location.databaseName);
    const database = await openDatabase({
      location,
      migrationsDir: join(agency.directory, "prisma/migrations"),
      createClient: agency.createClient,
    });
    try {
      await agency.seedDemo(database.prisma);
      let rows = 0;
      for (let from = 0; from < options.citizens; from += CHUNK) {
        rows += await agency.seedGenerated(database.prisma, { from, count: Math.min(CHUNK, options.citizens - from) });
      }
      options.progress(`seeded ${agency.name}: ${options.citizens} citizens, ${rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await database.close();
    }
  }
}
