// Prints a development app token signed with the key npm start trusts:
// npm run token -- --sub app:demo --scope "civil-affairs:identity tax:verify" --purpose P [--citizen ID]... [--ttl S] [--exp UNIX] [--aud A] [--iss I]
import { resolve } from "node:path";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../gateway/config.ts";
import { ensureDevKeys, loadSigningKey } from "../platform/security/keys.ts";
import { signDevToken } from "../platform/security/signDevToken.ts";
import { isResidentId } from "../platform/standard/residentId.ts";

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
  const options = parseArguments(process.argv.slice(2));
  const one = (name: string) => options.get(name)?.at(-1);
  const known = new Set(["sub", "scope", "purpose", "citizen", "ttl", "exp", "aud", "iss"]);
  for (const name of options.keys()) if (!known.has(name)) throw new Error(`unknown option --${name}`);
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
  const paths = await ensureDevKeys(resolve(process.env.DATA_DIR ?? ".data"));
  const token = await signDevToken({
    key: await loadSigningKey(paths.issuerPrivate),
    issuer: one("iss") ?? DEV_TOKEN_ISSUER,
    audience: one("aud") ?? DEFAULT_TOKEN_AUDIENCE,
    subject,
    scopes: (one("scope") ?? "").split(/\s+/).filter(Boolean),
    purpose,
    citizens,
    ttlSeconds: number("ttl"),
    expiresAt: number("exp"),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error) => {
  console.error(`token: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
