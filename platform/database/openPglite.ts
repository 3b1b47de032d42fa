/**
 * Opens an embedded PGlite database sized for a service's own small data,
 * cheaply enough that one process can hold several (npm start's five
 * agencies share one):
 *
 * - **Memory.** PostgreSQL's shared memory is memory each instance touches
 *   inside its WebAssembly heap: with the defaults (`shared_buffers` 128 MB,
 *   `max_connections` 100) about 150-250 MB of RSS per database; with 8 MB
 *   (1,024 pages, a demo or test database whole) and 10 connections (PGlite
 *   has one), about 40 MB. A province's data belongs on a PostgreSQL server
 *   (DATABASE_URL).
 * - **One compiled module.** `pglite.wasm` is compiled once per process and
 *   its file bundle read once, and both are handed to every instance
 *   (PGlite's `pgliteWasmModule` and `fsBundle`); left to itself, PGlite
 *   compiles it again for each instance opened concurrently.
 * - **No initdb per database.** A new data directory is a copy of one empty
 *   cluster that `initdb` made once (./emptyPgliteCluster.ts), so a fresh
 *   clone pays for one initdb, not six.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { emptyCluster, PGLITE_DIST } from "./emptyPgliteCluster.ts";

/** `-c` settings every instance starts with, after PGlite's own. */
const SETTINGS = ["shared_buffers=8MB", "max_connections=10"];

let shared: Promise<{ module: WebAssembly.Module; bundle: Blob }> | undefined;

/** The compiled pglite.wasm and its file bundle, made once per process. */
function sharedRuntime(): Promise<{ module: WebAssembly.Module; bundle: Blob }> {
  shared ??= (async () => ({
    module: await WebAssembly.compile(readFileSync(join(PGLITE_DIST, "pglite.wasm"))),
    bundle: new Blob([readFileSync(join(PGLITE_DIST, "pglite.data"))]),
  }))();
  return shared;
}

/** Opens (creating when missing) the PGlite database in `dataDir`, or an in-memory one for `memory://...`. */
export async function openPglite(dataDir: string): Promise<PGlite> {
  const { module, bundle } = await sharedRuntime();
  // A new database (no folder, or an empty one) starts as a copy of the empty cluster.
  if (!dataDir.startsWith("memory://") && (!existsSync(dataDir) || readdirSync(dataDir).length === 0)) {
    const cluster = await emptyCluster();
    mkdirSync(dirname(dataDir), { recursive: true });
    cpSync(cluster, dataDir, { recursive: true });
  }
  return PGlite.create(dataDir, {
    pgliteWasmModule: module,
    fsBundle: bundle,
    startParams: [...PGlite.defaultStartParams, ...SETTINGS.flatMap((setting) => ["-c", setting])],
  });
}
