/**
 * A temporary copy of this checkout as a fresh clone would have it: the
 * files git tracks or would track (no generated Prisma clients, no .data),
 * with node_modules linked rather than copied. Tests that change or generate
 * files (new agency, composition, typecheck) work there, never here.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPOSITORY_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface RepositoryCopy {
  root: string;
  remove(): void;
}

export function copyRepository(): RepositoryCopy {
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
  symlinkSync(join(REPOSITORY_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
