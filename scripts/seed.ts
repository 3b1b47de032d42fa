// Adds deterministic generated citizens with records in every agency: npm run seed -- --citizens 100000 [--from 0].
import { agencies } from "../subgraphs/agencies.ts";
import { readSubgraphConfig } from "../subgraphs/shared/config.ts";
import { openDatabase } from "../platform/database/openDatabase.ts";
import { join } from "node:path";

const CHUNK = 10_000;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
}

async function isListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const count = option("citizens", 1000);
  // Pairs of spouses are (2k, 2k+1): start on an even index so no couple is split.
  const from = option("from", 0) & ~1;
  const started = Date.now();
  for (const agency of agencies) {
    const config = readSubgraphConfig(agency);
    if (config.database.kind === "pglite" && (await isListening(config.port))) {
      throw new Error(`${agency.name} is running on port ${config.port}: stop npm start first (an embedded database has one writer)`);
    }
    const database = await openDatabase({ location: config.database, migrationsDir: join(agency.directory, "prisma/migrations"), createClient: agency.createClient });
    try {
      if (await agency.isEmpty(database.prisma)) await agency.seedDemo(database.prisma);
      let rows = 0;
      for (let start = from; start < from + count; start += CHUNK) {
        rows += await agency.seedGenerated(database.prisma, { from: start, count: Math.min(CHUNK, from + count - start) });
        const done = Math.min(start + CHUNK, from + count) - from;
        process.stdout.write(`\r${agency.name.padEnd(14)} ${done}/${count} citizens, ${rows} rows, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      process.stdout.write("\n");
    } finally {
      await database.close();
    }
  }
  console.log(`seeded ${count} citizens from index ${from} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(`\nseed failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
