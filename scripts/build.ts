// Compiles the services to JavaScript under dist/ (npm run build): one .js per .ts, the same tree, with every non-TypeScript file they read beside them; npm run start:prod runs it without tsx.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(root, "dist");
/** What the services and their scripts are made of; tests are not shipped. */
const SOURCES = ["gateway", "platform", "subgraphs", "schema", "scripts", "apps"].filter((folder) => existsSync(join(root, folder)));
// Built browser bundles (gateway/*/dist/) are assets to copy; the top-level dist/ is never walked.
const SKIP = new Set(["node_modules", ".data"]);

function filesUnder(directory: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP.has(name)) found.push(...filesUnder(path));
    } else found.push(path);
  }
  return found;
}

/** Relative imports stay imports (each file is compiled on its own), with `.ts` read as `.js`. */
const relativeImportsAsJs: Plugin = {
  name: "relative-imports-as-js",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => (args.kind === "entry-point" ? undefined : { path: args.path.replace(/\.ts$/, ".js"), external: true }));
  },
};

async function main(): Promise<void> {
  const started = Date.now();
  rmSync(OUT, { recursive: true, force: true });
  const files = SOURCES.flatMap((folder) => filesUnder(join(root, folder)));
  const sources = files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"));
  await build({
    absWorkingDir: root,
    entryPoints: sources,
    outdir: OUT,
    outbase: root,
    bundle: true,
    packages: "external",
    plugins: [relativeImportsAsJs],
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
  // SDL, migrations, pages, the agency manifest, built browser bundles: read at run time beside the code.
  const assets = files.filter((file) => !file.endsWith(".ts"));
  for (const file of assets) {
    const target = join(OUT, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  console.log(`built ${sources.length} modules and copied ${assets.length} files into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
