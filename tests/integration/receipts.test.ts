/**
 * Signed receipts over real HTTP: a response that releases data carries
 * `extensions.receipt`, which verifies against the gateway's published JWKS
 * (offline, in process and with `npm run receipt -- verify`); a changed value
 * in `data` is caught and named; a receipt from another key is refused; and
 * the audit record it names exists, says the same, and sits in the chain.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeProtectedHeader, exportJWK, generateKeyPair, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainHash } from "../../gateway/audit/auditChain.ts";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { compareWithAuditRecord, type AuditRecordView } from "../../gateway/receipts/compareWithAuditRecord.ts";
import { createReceiptSigner } from "../../gateway/receipts/createReceiptSigner.ts";
import { verifyReceipt } from "../../gateway/receipts/verifyReceipt.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const LI_WEI = "140105198605150031";
const QUERY = `query Receipt($id: ID!) { citizen(id: $id) { name housingFundAccount { status balance } isDishonestDebtor } }`;

let system: System;
let jwks: JSONWebKeySet;

function token(subject: string, scopes: string[], purpose: string, citizens?: string[]): Promise<string> {
  return signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose, citizens });
}

async function appReads(scopes = ["civil-affairs:identity", "housing-fund:account", "housing-fund:balance", "credit:verify"]): Promise<GraphQLResult> {
  const appToken = await token("app:receipts-test", scopes, "RECEIPT_TEST", [LI_WEI]);
  return postGraphQL(system.gatewayUrl, QUERY, { id: LI_WEI }, { authorization: `Bearer ${appToken}` });
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("npx", ["tsx", "scripts/receipt.ts", ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  system = await startSystem({ suite: "receipts" });
  const response = await fetch(new URL("/.well-known/jwks.json", system.gatewayUrl));
  expect(response.status).toBe(200);
  jwks = (await response.json()) as JSONWebKeySet;
});

afterAll(async () => {
  await system?.stop();
});

describe("the gateway's public keys", () => {
  it("publishes the receipt key (Ed25519) and its own key at /.well-known/jwks.json, public members only", () => {
    expect(jwks.keys.map((key) => key.alg).sort()).toEqual(["ES256", "EdDSA"]);
    expect(jwks.keys.find((key) => key.alg === "EdDSA")).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    for (const key of jwks.keys) expect(Object.keys(key)).not.toContain("d");
  });
});

describe("a receipt", () => {
  it("comes with a response that releases data and verifies against the published keys", async () => {
    const result = await appReads();
    expect(result.status).toBe(200);
    expect(result.body.data.citizen.name).toBe("李伟");
    const receipt = result.body.extensions?.receipt;
    expect(typeof receipt).toBe("string");
    expect(decodeProtectedHeader(receipt!)).toMatchObject({ alg: "EdDSA", typ: "gateway-receipt+jws" });

    const verification = await verifyReceipt(result.body, jwks);
    expect(verification.problems).toEqual([]);
    expect(verification.ok).toBe(true);
    expect(verification.claims).toMatchObject({
      app: "app:receipts-test",
      purpose: "RECEIPT_TEST",
      citizens: [system.gateway.audit.pseudonymize(LI_WEI)],
      fields: ["Citizen.housingFundAccount", "Citizen.isDishonestDebtor", "Citizen.name", "HousingFundAccount.balance", "HousingFundAccount.status", "Query.citizen"],
      data: { c14n: "RFC8785" },
    });
  });

  it("catches a changed value in data and names it", async () => {
    const result = await appReads();
    const tampered = structuredClone(result.body);
    tampered.data.citizen.housingFundAccount.balance = "999999.00";
    const verification = await verifyReceipt(tampered, jwks);
    expect(verification.ok).toBe(false);
    expect(verification.problems).toHaveLength(1);
    expect(verification.problems[0]).toMatch(/^data: /);
    // Reordered members are not a change: the digest is over the canonical form.
    const { citizen } = result.body.data;
    const reordered = { extensions: result.body.extensions, data: {} as unknown };
    reordered.data = { citizen: { isDishonestDebtor: citizen.isDishonestDebtor, housingFundAccount: { balance: citizen.housingFundAccount.balance, status: citizen.housingFundAccount.status }, name: citizen.name } };
    expect((await verifyReceipt(reordered, jwks)).ok).toBe(true);
  });

  it("from another key is refused, whether it names an unknown kid or the gateway's", async () => {
    const result = await appReads();
    const genuine = (await verifyReceipt(result.body, jwks)).claims!;
    const gatewayKid = jwks.keys.find((key) => key.alg === "EdDSA")!.kid!;
    for (const kid of ["someone-else", gatewayKid]) {
      const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const path = join(system.workDir, `forger-${kid}.jwk.json`);
      writeFileSync(path, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: "EdDSA" }));
      const forged = { ...result.body, extensions: { receipt: createReceiptSigner(path).sign(genuine) } };
      const verification = await verifyReceipt(forged, jwks);
      expect(verification.ok).toBe(false);
      expect(verification.claims).toBeNull();
      expect(verification.problems[0]).toMatch(/^signature: /);
    }
  });

  it("covers the data as sent when some fields are denied (null and FORBIDDEN at their paths)", async () => {
    const result = await appReads(["civil-affairs:identity", "housing-fund:account"]);
    expect(result.body.data.citizen.housingFundAccount.balance).toBeNull();
    expect(result.body.data.citizen.isDishonestDebtor).toBeNull();
    const verification = await verifyReceipt(result.body, jwks);
    expect(verification.problems).toEqual([]);
    expect(verification.claims!.fields).not.toContain("HousingFundAccount.balance");
  });

  it("is absent when no data is released", async () => {
    const result = await postGraphQL(system.gatewayUrl, "{ citizen(id: ", {});
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors?.[0]?.extensions?.code).toMatch(/^GRAPHQL_/);
    expect(result.body.extensions).toBeUndefined();
  });
});

describe("the audit record a receipt names", () => {
  it("exists, says what the receipt says, and sits in the hash chain", async () => {
    const { claims } = await verifyReceipt((await appReads()).body, jwks);
    const auditor = await token("app:auditor", ["audit:read"], "AUDIT_REVIEW");
    const fields = "records { seq hash time app purpose citizenPseudonyms grantedFields }";
    const bySeq = await postGraphQL(system.gatewayUrl, `query($seq: String) { auditRecords(filter: { seq: $seq }) { ${fields} } }`, { seq: claims!.audit.seq }, { authorization: `Bearer ${auditor}` });
    const byHash = await postGraphQL(system.gatewayUrl, `query($hash: String) { auditRecords(filter: { hash: $hash }) { ${fields} } }`, { hash: claims!.audit.hash }, { authorization: `Bearer ${auditor}` });
    expect(bySeq.body.data.auditRecords.records).toHaveLength(1);
    expect(byHash.body.data.auditRecords.records).toEqual(bySeq.body.data.auditRecords.records);
    const record = bySeq.body.data.auditRecords.records[0] as AuditRecordView;
    expect(compareWithAuditRecord(claims!, record)).toEqual([]);
    // And the record is the one the chain holds: its hash recomputes from its content.
    const row = (await system.gateway.audit.database.prisma.auditRecord.findUnique({ where: { seq: BigInt(claims!.audit.seq) } }))!;
    expect(chainHash(row.prevHash, row.seq, row as never)).toBe(claims!.audit.hash);
    // A receipt that named another record would be caught.
    expect(compareWithAuditRecord({ ...claims!, app: "app:other" }, record)).toEqual([expect.stringMatching(/^app: /)]);
  });

  it("is refused for a malformed seq or hash with BAD_USER_INPUT", async () => {
    const auditor = await token("app:auditor", ["audit:read"], "AUDIT_REVIEW");
    const result = await postGraphQL(system.gatewayUrl, `{ auditRecords(filter: { seq: "1; DROP" }) { records { seq } } }`, {}, { authorization: `Bearer ${auditor}` });
    expect(result.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("npm run receipt -- verify", () => {
  it("verifies a saved response offline (exit 0) and names the changed data (exit 2)", async () => {
    const result = await appReads();
    const jwksFile = join(system.workDir, "published.jwks.json");
    writeFileSync(jwksFile, JSON.stringify(jwks));
    const saved = join(system.workDir, "response.json");
    writeFileSync(saved, JSON.stringify(result.body));
    const ok = await runCli(["verify", "--response", saved, "--jwks", jwksFile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("receipt verifies");

    const tampered = structuredClone(result.body);
    tampered.data.citizen.name = "李伟伟";
    writeFileSync(saved, JSON.stringify(tampered));
    const bad = await runCli(["verify", "--response", saved, "--jwks", new URL("/.well-known/jwks.json", system.gatewayUrl).toString()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/data: SHA-256/);
  }, 120_000);
});
