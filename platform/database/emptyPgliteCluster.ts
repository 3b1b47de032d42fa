/**
 * The empty PostgreSQL cluster every new PGlite database starts as a copy of
 * (see ./openPglite.ts): made once by this PGlite's initdb, in a short-lived
 * child process (initdb inside PGlite takes seconds and leaves hundreds of MB
 * behind in the process that ran it), and kept under
 * node_modules/.cache/pglite-cluster/ for this PGlite version. PGlite itself
 * is not loaded here, so `npm start` can have it made while the Prisma
 * clients are generated (scripts/prepare.ts --start).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

/** Where the installed PGlite's files are. */
export const PGLITE_DIST = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));

let made: Promise<string> | undefined;

/** The directory of an empty cluster made by this PGlite's initdb: from the cache, or made now. */
export function emptyCluster(): Promise<string> {
  made ??= makeEmptyCluster().catch((error: unknown) => {
    made = undefined;
    throw error;
  });
  return made;
}

async function makeEmptyCluster(): Promise<string> {
  const version = JSON.parse(readFileSync(join(PGLITE_DIST, "../package.json"), "utf8")).version as string;
  const key = createHash("sha256").update(version).update(readFileSync(join(PGLITE_DIST, "initdb.wasm"))).digest("hex").slice(0, 16);
  const cache = join(cacheRoot(), "pglite-cluster");
  const cluster = join(cache, `${version}-${key}`);
  if (existsSync(join(cluster, "PG_VERSION"))) return cluster;
  mkdirSync(cache, { recursive: true });
  // One initdb at a time (npm start's gateway and agencies start together): whoever makes the lock folder runs it,
  // the others wait for its cluster (several seconds of CPU each on two cores, for nothing).
  const lock = `${cluster}.lock`;
  while (!tryLock(lock)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (existsSync(join(cluster, "PG_VERSION"))) return cluster;
  }
  // Made beside its final place and renamed into it.
  const building = mkdtempSync(join(cache, "building-"));
  try {
    if (existsSync(join(cluster, "PG_VERSION"))) return cluster; // made by the lock's previous holder
    const script = `const { PGlite } = await import(${JSON.stringify(pathToFileURL(join(PGLITE_DIST, "index.js")).href)}); const pg = await PGlite.create(${JSON.stringify(join(building, "pgdata"))}); await pg.close();`;
    await promisify(execFile)(process.execPath, ["--input-type=module", "--eval", script], { timeout: 300_000 });
    try {
      renameSync(join(building, "pgdata"), cluster);
    } catch (error) {
      if (!existsSync(join(cluster, "PG_VERSION"))) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
  return cluster;
}

/** How long a lock may stand before it counts as left behind by a process that died while making the cluster. */
const STALE_LOCK_MS = 300_000;

/** Takes the lock folder (mkdir is atomic); a stale one is taken over. */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    return false;
  }
}

/** node_modules/.cache of the installation PGlite is in (where other tools keep theirs), else the temporary folder. */
function cacheRoot(): string {
  const at = PGLITE_DIST.lastIndexOf(`${sep}node_modules${sep}`);
  return at >= 0 ? join(PGLITE_DIST.slice(0, at), "node_modules", ".cache") : join(tmpdir(), "gateway-cache");
}
