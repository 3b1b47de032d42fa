// Receipts: npm run receipt -- verify --response FILE [--jwks FILE|URL] [--json]: checks a saved gateway response against its signed receipt, offline.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { JSONWebKeySet } from "jose";
import { verifyReceipt, type SavedResponse } from "../gateway/receipts/verifyReceipt.ts";
import { devKeyPaths, loadJwks } from "../platform/security/keys.ts";

const USAGE = "usage: npm run receipt -- verify --response FILE [--jwks FILE|URL] [--json]";

function parseArguments(argv: string[]): { response: string; jwks: string; json: boolean } {
  const [command, ...rest] = argv;
  if (command !== "verify") throw new Error(USAGE);
  const flags = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i]!;
    if (name === "--json") json = true;
    else if ((name === "--response" || name === "--jwks") && rest[i + 1] !== undefined) flags.set(name.slice(2), rest[++i]!);
    else throw new Error(`unknown or incomplete option ${name}\n${USAGE}`);
  }
  const response = flags.get("response");
  if (!response) throw new Error(`--response is required\n${USAGE}`);
  // Default: the dev gateway's receipt key, as `npm start` made it.
  const jwks = flags.get("jwks") ?? devKeyPaths(resolve(process.env.DATA_DIR ?? ".data")).receiptJwks;
  return { response, jwks, json };
}

async function readJwks(where: string): Promise<JSONWebKeySet> {
  if (!/^https?:\/\//.test(where)) return loadJwks(resolve(where));
  const response = await fetch(where, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`cannot fetch JWKS ${where}: HTTP ${response.status}`);
  return (await response.json()) as JSONWebKeySet;
}

function readResponse(path: string): SavedResponse {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : resolve(path), "utf8");
  } catch {
    throw new Error(`cannot read ${path}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
    return parsed as SavedResponse;
  } catch {
    throw new Error(`${path} is not a JSON object (a saved GraphQL response)`);
  }
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const result = await verifyReceipt(readResponse(options.response), await readJwks(options.jwks));
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else if (result.ok) {
    const { claims } = result;
    console.log(`receipt verifies: audit record ${claims!.audit.seq} (${claims!.audit.hash}), ${claims!.time}, app ${claims!.app}, purpose ${claims!.purpose}`);
    console.log(`  citizens ${claims!.citizens.length}, fields: ${claims!.fields.join(" ")}`);
  } else {
    console.error("receipt does NOT match:");
    for (const problem of result.problems) console.error(`  ${problem}`);
  }
  process.exitCode = result.ok ? 0 : 2;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
