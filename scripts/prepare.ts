// What `npm start` and `npm test` need before they run (npm test's pre-script; npm start runs it first, in its own
// process, see run-bundled.mjs), in one process: the generated Prisma clients and resolver types, and the browser
// bundles, each made again only when its inputs changed (see generate-prisma.ts and build-assets.ts).
// --no-resolver-types (npm start): the resolver types are read by the type checker alone.
import { buildAssets } from "./build-assets.ts";
import { generate } from "./generate-prisma.ts";

try {
  await generate({ resolverTypes: !process.argv.includes("--no-resolver-types") });
  await buildAssets();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
