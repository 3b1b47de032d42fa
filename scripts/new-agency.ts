// Scaffolds a new agency's subgraph: `npm run new-agency -- <name> --port <port> --title <中文名>` (see README "Adding an agency").
// Writes subgraphs/<name>/ and its test, lists it in subgraphs/agencies.json, writes its first migration and client, and composes.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AGENCY_MANIFEST_PATH, agencyDirectory, readAgencyManifest, writeAgencyManifest } from "../subgraphs/agencyManifest.ts";
import { agencyFiles, agencyTest, derivedNames, type AgencyNames } from "./newAgency/agencyTemplates.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const USAGE = "usage: npm run new-agency -- <kebab-name> --port <port> --title <中文名>";

function parseArguments(argv: string[]): AgencyNames {
  const [name, ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    if (!["--port", "--title"].includes(rest[i]!) || rest[i + 1] === undefined) throw new Error(`unknown or incomplete option ${rest[i]}\n${USAGE}`);
    flags.set(rest[i]!.slice(2), rest[i + 1]!);
  }
  if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) throw new Error(`the name must be kebab-case, e.g. social-security\n${USAGE}`);
  const port = Number(flags.get("port"));
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`--port must be a port from 1024 to 65535\n${USAGE}`);
  const title = flags.get("title");
  if (!title) throw new Error(`--title is required\n${USAGE}`);
  return { name, port, title };
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed`);
}

function main(): void {
  const agency = parseArguments(process.argv.slice(2));
  const manifest = readAgencyManifest();
  const clash = manifest.find((entry) => entry.name === agency.name || entry.defaultPort === agency.port);
  if (clash) throw new Error(`${AGENCY_MANIFEST_PATH} already lists ${clash.name} on port ${clash.defaultPort}`);
  const directory = agencyDirectory(agency.name);
  if (existsSync(directory)) throw new Error(`${directory} already exists`);

  for (const [file, text] of Object.entries(agencyFiles(agency))) {
    mkdirSync(dirname(join(directory, file)), { recursive: true });
    writeFileSync(join(directory, file), text);
  }
  const testPath = join(root, `tests/integration/agency-${agency.name}.test.ts`);
  writeFileSync(testPath, agencyTest(agency));
  manifest.push({ name: agency.name, title: `${agency.title} ${agency.name.replace(/-/g, " ")}`, defaultPort: agency.port });
  writeAgencyManifest(manifest);
  console.log(`wrote subgraphs/${agency.name}/ and tests/integration/agency-${agency.name}.test.ts; listed it in subgraphs/agencies.json`);

  // Its first migration and Prisma client, then the supergraph with it.
  run(process.execPath, ["--import", "tsx", "scripts/generate-prisma.ts", "--migrations"]);
  run(process.execPath, ["--import", "tsx", "scripts/compose.ts"]);
  const names = derivedNames(agency);
  console.log(`
next:
  - add the agency's fields to subgraphs/${agency.name}/schema.graphql (each with @requiresScopes or @authenticated,
    @classification and a description), its tables to prisma/schema.prisma, and a resolver for every field;
  - npm run generate -- --migrations --name <change>   (writes the next migration), npm run compose, and restart;
  - npx vitest run tests/integration/agency-${agency.name}.test.ts
  - apps ask for ${names.field} with scope ${names.scope}.`);
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
