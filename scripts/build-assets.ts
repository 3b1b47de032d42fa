// Bundles the browser pages' scripts and styles from npm packages into static files the gateway serves (npm run build:assets).
// Every bundle is listed in BUNDLES; the output folders are gitignored and rebuilt by prestart and pretest.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

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

async function main(): Promise<void> {
  for (const bundle of BUNDLES) {
    await build({
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
    });
    console.log(`built ${bundle.name} → ${bundle.outfile}`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
