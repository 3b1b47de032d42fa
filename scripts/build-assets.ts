// Bundles the browser pages' scripts and styles from npm packages into static files the gateway serves (npm run build:assets).
// Every bundle is listed in BUNDLES; the output folders are gitignored and rebuilt by prestart and pretest when an input
// changed: each bundle's stamp (beside it) lists the size and modification time of every file esbuild read for it.
import { build, version as esbuildVersion } from "esbuild";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface Bundle {
  /** For the progress line. */
  name: string;
  /** The page's script, relative to the repository root. */
  entry: string;
  /** Where the bundle goes; its CSS (if it imports any) lands beside it with the same name. */
  outfile: string;
}

/** Every bundle the gateway serves. Add a page's bundle here. */
export const BUNDLES: Bundle[] = [
  // Chart.js for the audit page's charts at /audit (gateway/auditPage/auditPageRoutes.ts).
  { name: "audit-charts", entry: "gateway/auditPage/auditCharts.js", outfile: "gateway/auditPage/dist/audit-charts.js" },
  // GraphiQL at /graphiql (gateway/graphiql/graphiqlRoutes.ts).
  { name: "graphiql", entry: "gateway/graphiql/graphiqlApp.js", outfile: "gateway/graphiql/dist/graphiql.js" },
];

/** What a bundle was built from: the build's own settings and each input file's size and modification time. */
interface Stamp {
  esbuild: string;
  bundle: Bundle;
  inputs: Record<string, [size: number, mtimeMs: number]>;
}

const stampPath = (bundle: Bundle) => join(root, dirname(bundle.outfile), `.${bundle.name}.stamp.json`);

function fileState(path: string): [number, number] | null {
  try {
    const stat = statSync(join(root, path));
    return [stat.size, stat.mtimeMs];
  } catch {
    return null;
  }
}

function isUpToDate(bundle: Bundle): boolean {
  if (!existsSync(join(root, bundle.outfile)) || !existsSync(stampPath(bundle))) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath(bundle), "utf8")) as Stamp;
    if (stamp.esbuild !== esbuildVersion || JSON.stringify(stamp.bundle) !== JSON.stringify(bundle)) return false;
    return Object.entries(stamp.inputs).every(([path, state]) => JSON.stringify(fileState(path)) === JSON.stringify(state));
  } catch {
    return false;
  }
}

/** Builds every bundle whose inputs changed (all of them with `force`). */
export async function buildAssets(options: { force?: boolean } = {}): Promise<void> {
  for (const bundle of BUNDLES) {
    if (!options.force && isUpToDate(bundle)) continue;
    const result = await build({
      absWorkingDir: root,
      entryPoints: [bundle.entry],
      outfile: bundle.outfile,
      bundle: true,
      minify: true,
      format: "iife",
      platform: "browser",
      target: ["es2020"],
      define: { "process.env.NODE_ENV": '"production"' },
      loader: { ".woff2": "dataurl", ".woff": "dataurl", ".svg": "dataurl", ".png": "dataurl" },
      legalComments: "linked",
      logLevel: "warning",
      metafile: true,
    });
    const inputs: Stamp["inputs"] = {};
    for (const path of Object.keys(result.metafile.inputs)) {
      const state = fileState(path);
      if (state) inputs[path] = state;
    }
    writeFileSync(stampPath(bundle), JSON.stringify({ esbuild: esbuildVersion, bundle, inputs } satisfies Stamp));
    console.log(`built ${bundle.name} → ${bundle.outfile}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildAssets({ force: process.argv.includes("--force") }).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
