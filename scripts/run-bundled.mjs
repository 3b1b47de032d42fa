// Runs a TypeScript entry without tsx at run time:
//   node scripts/run-bundled.mjs [--first "<entry.ts> [args]"] <entry.ts> [--also <child.ts>,...] [args]
//
// The entry (and the entries it starts as child processes, `--also`) are each bundled once with esbuild into
// node_modules/.cache/run-bundles/ (the project's own modules in one file, packages left to Node), and bundled again
// only when one of the files they were made from changed (a hash of each). Loading one file instead of hundreds through
// tsx's loader hooks is most of `npm start`'s start-up time saved. Each module keeps its own `import.meta.url` (the
// source file's), so whatever it reads beside itself (SDL, migrations, pages) is read where it is. The bundles of the
// `--also` entries are handed to scripts/childProcesses.ts (globalThis.runBundles), which starts children on them.
// `--first` runs another entry to its end before (npm start: scripts/prepare.ts, which generates what the bundles
// include). Source maps are written beside the bundles; NODE_OPTIONS=--enable-source-maps shows stack traces at the
// TypeScript lines (not on by default: it costs every process a few hundred ms of start-up).
// Plain JavaScript, so that it starts with no compiler at all.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = join(ROOT, "node_modules/.cache/run-bundles");
/** Bundles of other source states are removed once this old (a start still running on one keeps its files open). */
const STALE_AFTER_MS = 3_600_000;

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const bundleName = (entry) => `${entry.replace(/\.ts$/, "").replace(/[/\\]/g, "__")}.mjs`;

/** The bundles of `entries` (entry → file) if none of the files they were made from changed since, else null. */
function freshBundles(group, entries) {
  const pointer = join(CACHE, `${group}.current`);
  if (!existsSync(pointer)) return null;
  const directory = join(CACHE, readFileSync(pointer, "utf8").trim());
  try {
    const stamp = JSON.parse(readFileSync(join(directory, "stamp.json"), "utf8"));
    for (const [file, hash] of Object.entries(stamp.inputs)) {
      if (sha256(readFileSync(join(ROOT, file))) !== hash) return null;
    }
  } catch {
    return null;
  }
  return Object.fromEntries(entries.map((entry) => [entry, join(directory, bundleName(entry))]));
}

/**
 * The project's modules keep their own `import.meta.url`; subgraphs/agencies.ts, which imports each agency's
 * server module by a name read from agencies.json at run time, becomes static imports of the listed agencies.
 */
function sourceModules(manifest) {
  return {
    name: "source-modules",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes("/node_modules/")) return undefined;
        const url = pathToFileURL(args.path).href;
        if (args.path === join(ROOT, "subgraphs/agencies.ts")) {
          const names = JSON.parse(readFileSync(manifest, "utf8")).map((entry) => entry.name);
          const imports = names.map((name, index) => `import { agency as agency${index} } from ${JSON.stringify(`./${name}/server.ts`)};`);
          return { contents: `${imports.join("\n")}\nexport const agencies = [${names.map((_, index) => `agency${index}`).join(", ")}];\n`, loader: "ts", resolveDir: dirname(args.path) };
        }
        const source = readFileSync(args.path, "utf8");
        return { contents: source.replaceAll("import.meta.url", JSON.stringify(url)), loader: "ts", resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Bundles `entries` into a new folder of the cache and makes it the group's current one. */
async function bundle(group, entries) {
  const { build, stop } = await import("esbuild");
  const manifest = join(ROOT, "subgraphs/agencies.json");
  mkdirSync(CACHE, { recursive: true });
  const building = mkdtempSync(join(CACHE, `${group}-`));
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(entries.map((entry) => [bundleName(entry).replace(/\.mjs$/, ""), join(ROOT, entry)])),
    outdir: building,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    metafile: true,
    plugins: [sourceModules(manifest)],
    logLevel: "warning",
  });
  stop(); // esbuild's service process is not kept beside the running entry
  const inputs = [...Object.keys(result.metafile.inputs), relative(ROOT, manifest), relative(ROOT, fileURLToPath(import.meta.url))];
  const stamp = { entries, inputs: Object.fromEntries(inputs.map((file) => [file, sha256(readFileSync(join(ROOT, file)))])) };
  writeFileSync(join(building, "stamp.json"), JSON.stringify(stamp));
  // The pointer is replaced in one rename: a start running beside this one reads the old bundles or the new ones.
  const pointerTemporary = join(building, "current");
  writeFileSync(pointerTemporary, relative(CACHE, building));
  renameSync(pointerTemporary, join(CACHE, `${group}.current`));
  removeOldBundles(group, building);
  return Object.fromEntries(entries.map((entry) => [entry, join(building, bundleName(entry))]));
}

function removeOldBundles(group, current) {
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (!name.startsWith(`${group}-`) || path === current) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed by another start meanwhile
    }
  }
}

/** The bundles of `entries`, made again when stale. */
async function bundlesOf(entries) {
  // Per checkout as well: a copy of the repository sharing this node_modules (tests) must not run bundles whose
  // modules' import.meta.url name another checkout's files.
  const group = sha256([ROOT, ...entries].join("\n")).slice(0, 12);
  return freshBundles(group, entries) ?? (await bundle(group, entries));
}

/** Runs a bundled entry in this process, with argv as under tsx (argv[1] is the entry's source file). */
async function runEntry(entry, bundles, args) {
  globalThis.runBundles = bundles;
  process.argv = [process.argv[0], resolve(ROOT, entry), ...args];
  await import(pathToFileURL(bundles[entry]).href);
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name) => {
    const at = args.indexOf(name);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const first = option("--first");
  const also = (option("--also") ?? "").split(",").filter(Boolean);
  const [entry, ...rest] = args;
  if (!entry?.endsWith(".ts")) throw new Error("usage: node scripts/run-bundled.mjs [--first \"<entry.ts> [args]\"] <entry.ts> [--also <child.ts>,...] [args]");
  // What must be made before the entry's bundle (npm start's generated Prisma clients): run to its end first.
  if (first) {
    const [firstEntry, ...firstArgs] = first.split(" ");
    await runEntry(firstEntry, await bundlesOf([firstEntry]), firstArgs);
  }
  await runEntry(entry, await bundlesOf([entry, ...also]), rest);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
