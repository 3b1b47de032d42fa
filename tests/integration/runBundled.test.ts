/**
 * scripts/run-bundled.mjs, which `npm start` runs instead of tsx: an entry runs from its esbuild bundle
 * with each module's own import.meta.url and argv as under tsx, the bundle is reused while its sources
 * are unchanged and made again when one changes, and `--also` entries are bundled for the children.
 * Worked in a copy of the repository (the probe files are written there, never here).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepository, type RepositoryCopy } from "../support/copyRepository.ts";

let clone: RepositoryCopy;

const ENTRY = "scripts/probe-run-bundled.ts";
const CHILD = "scripts/probe-run-bundled-child.ts";

function writeModule(version: number): void {
  writeFileSync(join(clone.root, "scripts/probe-module.ts"), `export const where: string = import.meta.url;\nexport const version = ${version};\n`);
}

interface ProbeOutput {
  where: string;
  version: number;
  argv1: string;
  args: string[];
  bundles: Record<string, string>;
}

function run(): ProbeOutput {
  const out = execFileSync(process.execPath, ["scripts/run-bundled.mjs", ENTRY, "--also", CHILD, "one", "two"], { cwd: clone.root, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as ProbeOutput;
}

beforeAll(() => {
  clone = copyRepository();
  writeModule(1);
  writeFileSync(
    join(clone.root, ENTRY),
    [
      `import { version, where } from "./probe-module.ts";`,
      `const bundles = (globalThis as { runBundles?: Record<string, string> }).runBundles ?? {};`,
      `console.log(JSON.stringify({ where, version, argv1: process.argv[1], args: process.argv.slice(2), bundles }));`,
    ].join("\n"),
  );
  writeFileSync(join(clone.root, CHILD), `console.log("child");\n`);
});

afterAll(() => {
  clone?.remove();
});

describe("run-bundled", () => {
  it("runs the entry with each module's own import.meta.url and argv as under tsx, and bundles the --also entries", () => {
    const output = run();
    expect(output.where).toBe(pathToFileURL(join(clone.root, "scripts/probe-module.ts")).href);
    expect(output.version).toBe(1);
    expect(output.argv1).toBe(join(clone.root, ENTRY));
    expect(output.args).toEqual(["one", "two"]);
    expect(Object.keys(output.bundles).sort()).toEqual([CHILD, ENTRY].sort());
    expect(execFileSync(process.execPath, [output.bundles[CHILD]!], { encoding: "utf8" }).trim()).toBe("child");
  }, 120_000);

  it("reuses the bundle while its sources are unchanged and makes it again when one changes", () => {
    const first = run();
    const again = run();
    expect(again.bundles[ENTRY]).toBe(first.bundles[ENTRY]);
    writeModule(2);
    const changed = run();
    expect(changed.version).toBe(2);
    expect(changed.bundles[ENTRY]).not.toBe(first.bundles[ENTRY]);
    expect(readFileSync(changed.bundles[ENTRY]!, "utf8")).toContain("version = 2");
  }, 120_000);
});
