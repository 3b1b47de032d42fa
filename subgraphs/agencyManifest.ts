/**
 * The list of agencies as plain data (subgraphs/agencies.json): name, title
 * and default port, in start-up order. Composition and tooling read this
 * file alone, so they need no generated Prisma client; `npm run new-agency`
 * appends to it. Each agency's server.ts takes its entry from here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface AgencyManifestEntry {
  /** The subgraph's name in the supergraph and its folder under subgraphs/, e.g. `housing-fund`. */
  name: string;
  /** Who runs it, for people: e.g. `住房公积金 housing fund`. */
  title: string;
  /** Where it listens unless PORT says otherwise. */
  defaultPort: number;
}

export const AGENCY_MANIFEST_PATH = fileURLToPath(new URL("./agencies.json", import.meta.url));

/** Absolute path of an agency's folder. */
export function agencyDirectory(name: string): string {
  return fileURLToPath(new URL(`./${name}/`, import.meta.url));
}

/** @throws Error naming the file and the bad entry */
export function readAgencyManifest(path: string = AGENCY_MANIFEST_PATH): AgencyManifestEntry[] {
  const entries: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(entries)) throw new Error(`${path}: expected a JSON array of agencies`);
  return entries.map((entry, index) => {
    const { name, title, defaultPort } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || !/^[a-z][a-z0-9-]*$/.test(name) || typeof title !== "string" || !Number.isInteger(defaultPort)) {
      throw new Error(`${path}: entry ${index} needs a kebab-case "name", a "title" and an integer "defaultPort"`);
    }
    return { name, title, defaultPort: defaultPort as number };
  });
}

/** The manifest entry of one agency, for its server.ts. @throws Error when it is not listed */
export function agencyEntry(name: string): AgencyManifestEntry & { directory: string } {
  const entry = readAgencyManifest().find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`agency ${name} is not listed in ${AGENCY_MANIFEST_PATH}`);
  return { ...entry, directory: agencyDirectory(name) };
}

/** Writes the manifest, one agency a line. */
export function writeAgencyManifest(entries: readonly AgencyManifestEntry[], path: string = AGENCY_MANIFEST_PATH): void {
  const lines = entries.map((e) => `  { "name": ${JSON.stringify(e.name)}, "title": ${JSON.stringify(e.title)}, "defaultPort": ${e.defaultPort} }`);
  writeFileSync(path, `[\n${lines.join(",\n")}\n]\n`);
}
