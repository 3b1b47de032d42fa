// Prints a development app token signed with the key npm start trusts:
// npm run token -- --sub app:demo --scope "civil-affairs:identity tax:verify" --purpose P [--citizen ID]... [--ttl S] [--exp UNIX] [--aud A] [--iss I]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { INTROSPECTION_SCOPE } from "../gateway/authz/createOperationAuthorizer.ts";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../gateway/config.ts";
import { scopesOf } from "../schema/scopesOf.ts";
import { ensureDevKeys, loadSigningKey } from "../platform/security/keys.ts";
import { signDevToken } from "../platform/security/signDevToken.ts";
import { isResidentId } from "../platform/standard/residentId.ts";

const USAGE = `Usage: npm run --silent token -- --sub APP --purpose PURPOSE [options]

Prints an app token signed by the development issuer that npm start trusts.

  --sub APP          the app id (token subject), e.g. app:hpf-mobile      (required)
  --purpose P        why the app reads, e.g. HPF_WITHDRAWAL_HOME_PURCHASE  (required)
  --scope "A B"      space-separated scopes; each must be one the supergraph declares
                     (or ${INTROSPECTION_SCOPE})
  --citizen ID       bind the token to this resident id (repeatable)
  --ttl SECONDS      lifetime, 1 to 3600 (the gateway's MAX_TOKEN_LIFETIME); default 3600
  --exp UNIX         absolute expiry instead of --ttl
  --aud A, --iss I   audience and issuer (defaults: the dev issuer's)
  --help             this text
`;

const SUPERGRAPH = fileURLToPath(new URL("../schema/supergraph.graphql", import.meta.url));

function parseArguments(argv: string[]): Map<string, string[]> {
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    if (!name.startsWith("--")) throw new Error(`unexpected argument ${name}`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
    options.set(name.slice(2), [...(options.get(name.slice(2)) ?? []), value]);
    i++;
  }
  return options;
}

async function main(): Promise<void> {
  if (process.argv.slice(2).some((argument) => argument === "--help" || argument === "-h")) {
    process.stdout.write(USAGE);
    return;
  }
  const options = parseArguments(process.argv.slice(2));
  const one = (name: string) => options.get(name)?.at(-1);
  const optionNames = new Set(["sub", "scope", "purpose", "citizen", "ttl", "exp", "aud", "iss"]);
  for (const name of options.keys()) if (!optionNames.has(name)) throw new Error(`unknown option --${name} (see --help)`);
  const subject = one("sub");
  const purpose = one("purpose");
  if (!subject) throw new Error("--sub is required (the app id, e.g. app:demo)");
  if (!purpose) throw new Error("--purpose is required (why the app reads, e.g. HPF_WITHDRAWAL_HOME_PURCHASE)");
  const citizens = options.get("citizen");
  for (const id of citizens ?? []) if (!isResidentId(id)) throw new Error(`--citizen ${id} is not a valid resident id`);
  const number = (name: string) => {
    const value = one(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number of seconds`);
    return Number(value);
  };
  const ttl = number("ttl");
  if (ttl !== undefined && (ttl < 1 || ttl > 3600)) throw new Error("--ttl must be from 1 to 3600 seconds (the gateway refuses longer-lived tokens)");
  const scopes = (one("scope") ?? "").split(/\s+/).filter(Boolean);
  const known = new Set([...scopesOf(readFileSync(SUPERGRAPH, "utf8")), INTROSPECTION_SCOPE]);
  const unknown = scopes.filter((scope) => !known.has(scope));
  if (unknown.length > 0) throw new Error(`unknown scope${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${[...known].sort().join(" ")})`);
  const paths = await ensureDevKeys(resolve(process.env.DATA_DIR ?? ".data"));
  const token = await signDevToken({
    key: await loadSigningKey(paths.issuerPrivate),
    issuer: one("iss") ?? DEV_TOKEN_ISSUER,
    audience: one("aud") ?? DEFAULT_TOKEN_AUDIENCE,
    subject,
    scopes,
    purpose,
    citizens,
    ttlSeconds: ttl,
    expiresAt: number("exp"),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error) => {
  console.error(`token: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
