// What `npm start` and `npm test` need before they run (npm test's pre-script; npm start runs it first, in its own
// process, see run-bundled.mjs), in one process: the generated Prisma clients and resolver types, and the browser
// bundles, each made again only when its inputs changed (see generate-prisma.ts and build-assets.ts).
// --start (npm start): no resolver types (the type checker alone reads them), and the empty PGlite cluster every new
// database is copied from is made meanwhile when missing (one initdb, on the CPU the generates leave idle, rather
// than later while the services wait for it); not on PostgreSQL (DATABASE_URL).
import { buildAssets } from "./build-assets.ts";
import { generate } from "./generate-prisma.ts";
import { emptyCluster } from "../platform/database/emptyPgliteCluster.ts";

const forStart = process.argv.includes("--start");
try {
  await Promise.all([
    (async () => {
      await generate({ resolverTypes: !forStart });
      await buildAssets();
    })(),
    forStart && !process.env.DATABASE_URL ? emptyCluster() : undefined,
  ]);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
