// Signing cost per response, in process: npm run bench:signing [-- --iterations N]. Saves scripts/bench/results/<time>-signing.md.
// A response that releases data costs one receipt (SHA-256 of the canonical data + one Ed25519 signature) and,
// for a citizen-bound app, up to five subgraph tokens (otherwise they come from the signer's cache).
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { canonicalDigest } from "../../gateway/receipts/canonicalJson.ts";
import { createReceiptSigner } from "../../gateway/receipts/createReceiptSigner.ts";
import { receiptClaims } from "../../gateway/receipts/receiptAttacher.ts";
import { createSubgraphTokenSigner } from "../../gateway/subgraphs/createSubgraphTokenSigner.ts";
import type { Principal } from "../../gateway/authn/Principal.ts";
import { compactJwsSigner, encodedHeader } from "../../platform/security/compactJwsSigner.ts";
import { describeMachine } from "./machine.ts";
import { RESULTS_DIR } from "./report.ts";

const iterations = Number(process.argv[process.argv.indexOf("--iterations") + 1]) || 3000;

/** CPU µs per call of `fn`, after a warm-up. */
async function cpuMicros(fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(500, iterations); i++) await fn();
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

/** A one-stop answer as the bench's one-stop query returns it (one citizen, all five agencies). */
function oneStopData(n: number) {
  return {
    citizen: {
      name: `Citizen ${n}`, gender: "FEMALE", birthDate: "1986-05-15", maritalStatus: "MARRIED",
      spouse: { name: `Spouse ${n}` },
      housingFundAccount: {
        status: "ACTIVE", balance: "182345.67", monthlyDeposit: "2400.00",
        loans: [{ outstanding: "650000.00", collateral: { address: `Room ${n}, 18 Yingze Street, Taiyuan`, owners: [{ share: 0.5, owner: { name: `Citizen ${n}` } }, { share: 0.5, owner: { name: `Spouse ${n}` } }] } }],
      },
      properties: [{ address: `Room ${n}, 18 Yingze Street, Taiyuan`, floorArea: 89.5, deedTaxPaid: true }],
      incomeRecord: { totalIncome: "186000.00", taxPaid: "9840.00" },
      creditReport: { score: 712, rating: "GOOD" },
      isDishonestDebtor: false,
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "signing-bench-"));
async function privateJwkFile(alg: "ES256" | "EdDSA"): Promise<{ path: string; key: CryptoKey; kid: string }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg}-bench`;
  const path = join(dir, `${alg}.jwk.json`);
  writeFileSync(path, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg }));
  return { path, key: privateKey, kid };
}

const es256 = await privateJwkFile("ES256");
const ed25519 = await privateJwkFile("EdDSA");
const claims = () => ({ scope: "civil-affairs:citizen:read tax:income:read", purpose: "COUNTER", citizens: ["140105198605150031"], iss: "urn:gov-data-gateway:gateway", aud: "urn:gov-data-gateway:subgraph:tax", sub: "app:counter", jti: randomUUID(), iat: 1, exp: 2 });
const joseSign = (key: CryptoKey, alg: string, kid: string) => () =>
  new SignJWT({ scope: "civil-affairs:citizen:read tax:income:read", purpose: "COUNTER", citizens: ["140105198605150031"] })
    .setProtectedHeader({ alg, kid, typ: "JWT" }).setIssuer("urn:gov-data-gateway:gateway").setAudience("urn:gov-data-gateway:subgraph:tax")
    .setSubject("app:counter").setJti(randomUUID()).setIssuedAt(1).setExpirationTime(2).sign(key);
const syncSign = (key: CryptoKey, alg: string, kid: string) => {
  const sign = compactJwsSigner({ key, alg, kid })!;
  const header = encodedHeader({ alg, kid, typ: "JWT" });
  return () => sign(header, claims());
};
const cachedSigner = createSubgraphTokenSigner({ key: { key: ed25519.key, alg: "EdDSA", kid: ed25519.kid } });
const principal = { app: "app:counter", scopeKey: "civil-affairs:citizen:read tax:income:read", purpose: "COUNTER", citizens: undefined } as unknown as Principal;

const receiptSigner = createReceiptSigner(ed25519.path);
let n = 0;
const committed = { seq: 123456n, hash: "a".repeat(64) } as unknown as Parameters<typeof receiptClaims>[0];
const entry = { time: new Date(), app: "app:counter", purpose: "COUNTER", citizens: ["p".repeat(64)], grantedFields: ["Citizen.name", "Query.citizen"] } as unknown as Parameters<typeof receiptClaims>[1];
const data = Array.from({ length: 64 }, (_, i) => oneStopData(i));

const rows: Array<[string, number]> = [
  ["subgraph token, jose SignJWT ES256 (before)", await cpuMicros(joseSign(es256.key, "ES256", es256.kid))],
  ["subgraph token, jose SignJWT EdDSA", await cpuMicros(joseSign(ed25519.key, "EdDSA", ed25519.kid))],
  ["subgraph token, node:crypto ES256 (now, ES256 key)", await cpuMicros(syncSign(es256.key, "ES256", es256.kid))],
  ["subgraph token, node:crypto Ed25519 (now, Ed25519 key)", await cpuMicros(syncSign(ed25519.key, "EdDSA", ed25519.kid))],
  ["subgraph token from the signer's cache (not citizen-bound)", await cpuMicros(() => cachedSigner(principal, "tax"))],
  ["receipt: SHA-256 of the canonical one-stop data", await cpuMicros(() => canonicalDigest(data[n++ % data.length]))],
  ["receipt: claims + digest + Ed25519 signature (whole receipt)", await cpuMicros(() => receiptSigner.sign(receiptClaims(committed, entry, data[n++ % data.length])))],
];
const micros = Object.fromEntries(rows);
const receipt = micros["receipt: claims + digest + Ed25519 signature (whole receipt)"]!;
const perResponse: Array<[string, number]> = [
  ["per one-stop response, app not citizen-bound (receipt; tokens cached)", receipt],
  ["per one-stop response, citizen-bound app, Ed25519 gateway key (receipt + 5 tokens)", receipt + 5 * micros["subgraph token, node:crypto Ed25519 (now, Ed25519 key)"]!],
  ["per one-stop response, citizen-bound app, ES256 gateway key (receipt + 5 tokens)", receipt + 5 * micros["subgraph token, node:crypto ES256 (now, ES256 key)"]!],
  ["same, before: jose ES256 tokens", receipt + 5 * micros["subgraph token, jose SignJWT ES256 (before)"]!],
];

const machine = describeMachine();
const stamp = new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
const table = [
  "| operation | CPU µs |",
  "| --- | ---: |",
  ...rows.map(([name, us]) => `| ${name} | ${us.toFixed(1)} |`),
  ...perResponse.map(([name, us]) => `| **${name}** | **${us.toFixed(1)}** |`),
].join("\n");
const markdown = `# Signing cost per response ${new Date().toISOString()}\n\n\`npm run bench:signing -- --iterations ${iterations}\`: CPU time (process.cpuUsage) per operation, ${iterations} operations each after a warm-up; node ${machine.node}, ${machine.nproc} CPUs (${machine.cpuModel}), load average ${machine.loadAverageAtStart} at start.\n\n${table}\n`;
mkdirSync(RESULTS_DIR, { recursive: true });
const path = join(RESULTS_DIR, `${stamp}-signing.md`);
writeFileSync(path, markdown);
process.stdout.write(`${markdown}\nsaved ${path}\n`);
