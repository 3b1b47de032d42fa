/**
 * A temporary copy of this checkout as a fresh clone would have it: the
 * files git tracks or would track (no generated Prisma clients, no .data),
 * with node_modules linked rather than copied. Tests that change or generate
 * files (new agency, composition, typecheck) work there, never here.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPOSITORY_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface RepositoryCopy {
  root: string;
  remove(): void;
}

export interface CopyOptions {
  /**
   * Also copy the generated Prisma clients (gitignored), so that only the
   * schemas a test changes are generated again. @default false: a fresh clone
   */
  withGeneratedClients?: boolean;
}

const GENERATED_CLIENTS = /^(subgraphs\/[^/]+|gateway\/audit)\/prisma\/generated$/;

export function copyRepository(options: CopyOptions = {}): RepositoryCopy {
  const root = mkdtempSync(join(tmpdir(), "gateway-clone-"));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: REPOSITORY_ROOT, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    try {
      copyFileSync(join(REPOSITORY_ROOT, file), join(root, file));
    } catch (error) {
      // A tracked file deleted in the working tree is not part of the copy.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  if (options.withGeneratedClients) {
    for (const folder of ["subgraphs", "gateway"].flatMap((top) => readdirSync(join(REPOSITORY_ROOT, top)).map((name) => `${top}/${name}/prisma/generated`))) {
      if (GENERATED_CLIENTS.test(folder) && existsSync(join(REPOSITORY_ROOT, folder))) cpSync(join(REPOSITORY_ROOT, folder), join(root, folder), { recursive: true });
    }
  }
  symlinkSync(join(REPOSITORY_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
