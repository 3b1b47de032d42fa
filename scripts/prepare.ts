// What `npm start` and `npm test` need before they run (their pre-scripts), in one process: the generated Prisma clients
// and resolver types, and the browser bundles, each made again only when its inputs changed (see generate-prisma.ts and
// build-assets.ts).
import { buildAssets } from "./build-assets.ts";
import { generate } from "./generate-prisma.ts";

try {
  await generate();
  await buildAssets();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
