/**
 * The audit log over real HTTP: one record per request (never a value,
 * citizens as pseudonyms), hostile text stored inert, auditors and citizens
 * reading it through the supergraph, group commit under load with exact
 * bookkeeping, append-only triggers, tamper evidence, and failing closed
 * when the audit database is unreachable.
 * Assertions are on data and `extensions.code`, not message text.
 */
import { createHash } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../gateway/audit/AuditEntry.ts";
import { chainHash } from "../../gateway/audit/auditChain.ts";
import { startChainHeadSigning } from "../../gateway/audit/startChainHeadSigning.ts";
import { verifyAuditChain } from "../../gateway/audit/verifyAuditChain.ts";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { withDatabaseName } from "../../platform/database/databaseUrl.ts";
import { publicJwksOfPrivateKey } from "../../platform/security/keys.ts";
import { signDevToken, type DevTokenOptions } from "../../platform/security/signDevToken.ts";
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";
import { startSystem, usingPostgres, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
const ZHANG_MIN = "330106197501050017";
const DEMO_IDS = [LI_WEI, WANG_FANG, ZHANG_MIN];

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const bigintSafe = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codes = (result: GraphQLResult) => (result.body.errors ?? []).map((e) => e.extensions?.code);

function signToken(system: System, subject: string, scopes: readonly string[], extra: Partial<DevTokenOptions> = {}): Promise<string> {
  return signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose: "AUDIT_LOG_TEST", ...extra });
}

const jtiOf = (token: string) => decodeJwt(token).jti as string;

function rowsOf(system: System, where: Record<string, unknown>) {
  return system.gateway.audit.database.prisma.auditRecord.findMany({ where, orderBy: { seq: "asc" } });
}

/** The one record of the requests made with `token`. */
async function recordOf(system: System, token: string) {
  const rows = await rowsOf(system, { tokenId: jtiOf(token) });
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

function verify(system: System) {
  return verifyAuditChain({
    prisma: system.gateway.audit.database.prisma,
    gatewayJwks: publicJwksOfPrivateKey(system.keys.gatewayPrivate),
    headsPath: join(system.workDir, "audit-heads.jsonl"),
  });
}

/** Runs SQL with the append-only triggers bypassed, as a superuser would (one transaction, one connection). */
function asSuperuser(system: System, sql: string): Promise<void> {
  return system.gateway.audit.database.session.exec(`BEGIN; SET LOCAL session_replication_role = replica; ${sql}; COMMIT;`);
}

/** Runs `tasks` with at most `limit` in flight. */
async function bounded<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]!();
      }
    }),
  );
  return results;
}

describe("audit log", () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ suite: "audit-log" });
  });

  afterAll(async () => {
    await system?.stop();
  });

  describe("one record per request, never a value", () => {
    it("records an allowed request with who, why, what and where", async () => {
      const token = await signToken(system, "app:audit-allowed", STANDARD_SCOPES, { purpose: "HOUSING_LOAN_REVIEW" });
      const query = `query Allowed { citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`;
      const result = await postGraphQL(system.gatewayUrl, query, undefined, bearer(token));
      expect(result.status).toBe(200);
      expect(result.body.data).toEqual({ citizen: { name: "李伟", housingFundAccount: { balance: "86400.00" } } });
      const row = await recordOf(system, token);
      expect(row).toMatchObject({
        app: "app:audit-allowed",
        tokenId: jtiOf(token),
        purpose: "HOUSING_LOAN_REVIEW",
        operationName: "Allowed",
        operationHash: sha256(query),
        citizens: [system.gateway.audit.pseudonymize(LI_WEI)],
        outcome: "ALLOWED",
        dataReleased: true,
        errorCodes: [],
        deniedFields: [],
        subgraphs: ["civil-affairs", "housing-fund"],
      });
      expect(row.requestedFields).toEqual(expect.arrayContaining(["Citizen.name", "Citizen.housingFundAccount", "HousingFundAccount.balance"]));
      expect(row.grantedFields).toEqual(expect.arrayContaining(["Citizen.name", "HousingFundAccount.balance"]));
      expect(row.latencyMs).toBeGreaterThanOrEqual(0);
      expect(row.latencyMs).toBeLessThan(30_000);
      expect(row.clientAddress).toMatch(/(^|:)127\.0\.0\.1$/);
      expect(row.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Math.abs(row.time.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it("records a partly denied request as PARTIAL naming the denied field", async () => {
      const token = await signToken(system, "app:audit-partial", ["civil-affairs:identity", "housing-fund:account"]);
      const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { status balance } } }`, undefined, bearer(token));
      expect(result.body.data.citizen.name).toBe("李伟");
      expect(result.body.data.citizen.housingFundAccount.balance).toBeNull();
      expect(codes(result)).toEqual(["FORBIDDEN"]);
      const row = await recordOf(system, token);
      expect(row.outcome).toBe("PARTIAL");
      expect(row.dataReleased).toBe(true);
      expect(row.deniedFields).toEqual(["HousingFundAccount.balance"]);
      expect(row.grantedFields).toContain("Citizen.name");
      expect(row.grantedFields).not.toContain("HousingFundAccount.balance");
      expect(row.errorCodes).toContain("FORBIDDEN");
    });

    it("records a request with every field denied: the denied fields, no value, FORBIDDEN", async () => {
      const token = await signToken(system, "app:audit-denied", ["tax:verify"]);
      const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`, undefined, bearer(token));
      expect(codes(result).length).toBeGreaterThan(0);
      expect(codes(result).every((code) => code === "FORBIDDEN")).toBe(true);
      expect(JSON.stringify(result.body.data ?? null)).not.toContain("李伟");
      const row = await recordOf(system, token);
      expect(row.deniedFields).toEqual(expect.arrayContaining(["Citizen.name", "Citizen.housingFundAccount"]));
      expect(row.grantedFields).not.toContain("Citizen.name");
      expect(row.errorCodes).toEqual(["FORBIDDEN"]);
      expect(row.dataReleased).toBe(result.body.data !== undefined && result.body.data !== null);
      expect(["DENIED", "PARTIAL"]).toContain(row.outcome);
    });

    // Product bug: auditPlugin.outcomeOf counts the root field Query.citizen (only @authenticated) as granted,
    // so a request whose every data field was denied is recorded PARTIAL, not DENIED.
    it("records a request with every field denied as DENIED", async () => {
      const token = await signToken(system, "app:audit-denied-2", ["tax:verify"]);
      await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`, undefined, bearer(token));
      expect((await recordOf(system, token)).outcome).toBe("DENIED");
    });

    it("records a failed request (bad id) with BAD_USER_INPUT and no value", async () => {
      const token = await signToken(system, "app:audit-failed", STANDARD_SCOPES);
      const result = await postGraphQL(system.gatewayUrl, `query Bad($id: ID!) { citizen(id: $id) { name } }`, { id: "14010519860515003X" }, bearer(token));
      expect(codes(result)).toContain("BAD_USER_INPUT");
      expect(result.body.data?.citizen ?? null).toBeNull();
      const row = await recordOf(system, token);
      expect(row.errorCodes).toContain("BAD_USER_INPUT");
      expect(row.operationName).toBe("Bad");
      expect(row.dataReleased).toBe(result.body.data !== undefined && result.body.data !== null);
    });

    it("records an invalid operation as FAILED with no data released", async () => {
      const token = await signToken(system, "app:audit-invalid", STANDARD_SCOPES);
      const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { nope } }`, undefined, bearer(token));
      expect(result.body.data).toBeUndefined();
      const row = await recordOf(system, token);
      expect(row).toMatchObject({ outcome: "FAILED", dataReleased: false, errorCodes: ["GRAPHQL_VALIDATION_FAILED"], app: "app:audit-invalid" });
    });

    // Product bug: the answer is `data: { citizen: null }` (nothing released), but auditPlugin.outcomeOf
    // only looks at whether `data` is an object and whether Query.citizen was granted, so the record says PARTIAL.
    it("records a failed request (bad id) as FAILED", async () => {
      const token = await signToken(system, "app:audit-failed-2", STANDARD_SCOPES);
      await postGraphQL(system.gatewayUrl, `query Bad($id: ID!) { citizen(id: $id) { name } }`, { id: "14010519860515003X" }, bearer(token));
      expect((await recordOf(system, token)).outcome).toBe("FAILED");
    });

    it("records an unauthenticated request", async () => {
      const before = await system.gateway.audit.database.prisma.auditRecord.count({ where: { outcome: "UNAUTHENTICATED" } });
      const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name } }`, undefined, { authorization: "" });
      expect(result.status).toBe(401);
      expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
      const rows = await rowsOf(system, { outcome: "UNAUTHENTICATED" });
      expect(rows).toHaveLength(before + 1);
      const row = rows.at(-1)!;
      expect(row).toMatchObject({ app: null, tokenId: null, dataReleased: false, errorCodes: ["UNAUTHENTICATED"], citizens: [] });
      expect(row.clientAddress).toMatch(/(^|:)127\.0\.0\.1$/);
    });

    it("names citizens read through spouse by pseudonym", async () => {
      const token = await signToken(system, "app:audit-spouse", STANDARD_SCOPES);
      const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${WANG_FANG}") { name spouse { name } } }`, undefined, bearer(token));
      expect(result.body.data).toEqual({ citizen: { name: "王芳", spouse: { name: "李伟" } } });
      const row = await recordOf(system, token);
      const { pseudonymize } = system.gateway.audit;
      expect(row.citizens).toEqual([pseudonymize(LI_WEI), pseudonymize(WANG_FANG)].sort());
      expect(pseudonymize(LI_WEI)).not.toBe(pseudonymize(WANG_FANG));
      expect(pseudonymize(LI_WEI)).not.toContain(LI_WEI);
    });

    it("stores no field value and no resident id in clear anywhere", async () => {
      const rows = await rowsOf(system, {});
      expect(rows.length).toBeGreaterThan(5);
      const stored = JSON.stringify(rows, bigintSafe);
      for (const value of ["86400.00", "李伟", "王芳", "1860.00", ...DEMO_IDS, "14010519860515003X"]) expect(stored).not.toContain(value);
    });
  });

  describe("hostile text", () => {
    it("stores hostile purposes, names and variables inert and truncated, and keeps serving", async () => {
      const hostilePurpose = "ok\u0000\n2026-01-01 ALLOWED app:forged\u001b[31mRED\u001b[0m\u2028\u2029\r" + "P".repeat(150);
      expect(hostilePurpose.length).toBeLessThanOrEqual(200);
      const token = await signToken(system, "app:audit-hostile", STANDARD_SCOPES, { purpose: hostilePurpose });
      const longName = "A".repeat(100_000);
      const named = await postGraphQL(system.gatewayUrl, `query ${longName} { citizen(id: "${LI_WEI}") { name } }`, undefined, { ...bearer(token) });
      // Answered, not crashed; no agency grants a purpose like this one (purpose codes are [A-Z0-9_]).
      expect(named.body.data).toEqual({ citizen: { name: null } });
      expect(named.body.errors?.map((e) => e.extensions?.reason)).toEqual(["NO_GRANT"]);
      const withName = await fetch(system.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(token) },
        body: JSON.stringify({ query: `query ${longName} { citizen(id: "${LI_WEI}") { name } }`, operationName: longName }),
      });
      expect(withName.status).toBe(200);
      const hugeVariable = `\u0000\n\u001b[31m\u2028${"x".repeat(600_000)}`;
      const huge = await postGraphQL(system.gatewayUrl, `query Huge($id: ID!) { citizen(id: $id) { name } }`, { id: hugeVariable }, bearer(token));
      expect(huge.body.data?.citizen ?? null).toBeNull();
      expect(codes(huge)).toContain("BAD_USER_INPUT");

      // Still serving.
      const after = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name } }`);
      expect(after.body.data).toEqual({ citizen: { name: "李伟" } });

      const rows = await rowsOf(system, { tokenId: jtiOf(token) });
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        for (const [key, value] of Object.entries(row)) {
          for (const text of [value].flat()) if (typeof text === "string") expect(text, key).not.toMatch(RAW_CONTROL);
        }
        expect(row.purpose!.length).toBeLessThanOrEqual(200);
        expect(row.purpose).toContain("\\u0000");
        expect(row.purpose).toContain("\\u001b[31m");
        expect(row.purpose).toContain("\\u2028");
        expect((row.operationName ?? "").length).toBeLessThanOrEqual(200);
      }
      expect(rows[0]!.operationName).toMatch(/^A+/);
      expect(rows[1]!.operationName).toMatch(/^A+/);
      expect(rows[2]!.operationName).toBe("Huge");
      expect(JSON.stringify(rows, bigintSafe)).not.toContain("x".repeat(300));
      expect((await verify(system)).ok).toBe(true);
    });
  });

  describe("auditors", () => {
    const PAGE_QUERY = `query Review($filter: AuditRecordFilter, $first: Int, $after: String) {
      auditRecords(filter: $filter, first: $first, after: $after) {
        records { seq app tokenId purpose outcome citizenPseudonyms requestedFields deniedFields dataReleased time hash prevHash }
        nextCursor
      }
    }`;

    it("filters by app, citizen, field, purpose, outcome and time, newest first, paginated", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const since = new Date().toISOString();
      const reader = await signToken(system, "app:audit-paged", STANDARD_SCOPES, { purpose: "PAGING_TEST" });
      for (const id of [LI_WEI, WANG_FANG, LI_WEI, ZHANG_MIN, LI_WEI]) {
        await postGraphQL(system.gatewayUrl, `{ citizen(id: "${id}") { name } }`, undefined, bearer(reader));
      }
      await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { housingFundAccount { balance } } }`, undefined, bearer(reader));
      const auditor = await signToken(system, "app:auditor", ["audit:read"], { purpose: "AUDIT_REVIEW" });
      const ask = (variables: Record<string, unknown>) => postGraphQL(system.gatewayUrl, PAGE_QUERY, variables, bearer(auditor));

      const seen: any[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page: GraphQLResult = await ask({ filter: { app: "app:audit-paged" }, first: 2, after });
        expect(page.body.errors).toBeUndefined();
        seen.push(...page.body.data.auditRecords.records);
        after = page.body.data.auditRecords.nextCursor;
        pages++;
      } while (after && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toHaveLength(6);
      const seqs = seen.map((r) => BigInt(r.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
      expect(new Set(seqs).size).toBe(6);
      expect(seen.every((r) => r.app === "app:audit-paged" && r.tokenId === jtiOf(reader))).toBe(true);

      const byCitizen = await ask({ filter: { app: "app:audit-paged", citizen: LI_WEI }, first: 50 });
      expect(byCitizen.body.data.auditRecords.records).toHaveLength(4);
      expect(byCitizen.body.data.auditRecords.records.every((r: any) => r.citizenPseudonyms.includes(system.gateway.audit.pseudonymize(LI_WEI)))).toBe(true);
      expect(JSON.stringify(byCitizen.body)).not.toContain(LI_WEI);

      const byField = await ask({ filter: { app: "app:audit-paged", field: "HousingFundAccount.balance" }, first: 50 });
      expect(byField.body.data.auditRecords.records).toHaveLength(1);

      const byPurpose = await ask({ filter: { purpose: "PAGING_TEST" }, first: 50 });
      expect(byPurpose.body.data.auditRecords.records).toHaveLength(6);
      const noPurpose = await ask({ filter: { app: "app:audit-paged", purpose: "OTHER" }, first: 50 });
      expect(noPurpose.body.data.auditRecords.records).toHaveLength(0);

      const byOutcome = await ask({ filter: { app: "app:audit-paged", outcome: "ALLOWED" }, first: 50 });
      expect(byOutcome.body.data.auditRecords.records).toHaveLength(6);
      const denied = await ask({ filter: { app: "app:audit-paged", outcome: "DENIED" }, first: 50 });
      expect(denied.body.data.auditRecords.records).toHaveLength(0);

      const bySince = await ask({ filter: { app: "app:audit-allowed", since }, first: 50 });
      expect(bySince.body.data.auditRecords.records).toHaveLength(0);
      const beforeSince = await ask({ filter: { app: "app:audit-paged", since }, first: 50 });
      expect(beforeSince.body.data.auditRecords.records).toHaveLength(6);

      const chain = await postGraphQL(system.gatewayUrl, `{ auditChain { ok records firstBadRecord } }`, undefined, bearer(auditor));
      expect(chain.body.data.auditChain).toMatchObject({ ok: true, firstBadRecord: null });
      expect(chain.body.data.auditChain.records).toBeGreaterThan(6);
    });

    it("refuses auditRecords and auditChain without audit:read", async () => {
      const token = await signToken(system, "app:not-an-auditor", STANDARD_SCOPES);
      const records = await postGraphQL(system.gatewayUrl, PAGE_QUERY, { first: 5 }, bearer(token));
      expect(codes(records)).toContain("FORBIDDEN");
      expect(records.body.data?.auditRecords ?? null).toBeNull();
      const chain = await postGraphQL(system.gatewayUrl, `{ auditChain { ok } }`, undefined, bearer(token));
      expect(codes(chain)).toContain("FORBIDDEN");
      expect(chain.body.data?.auditChain ?? null).toBeNull();
      const rows = await rowsOf(system, { tokenId: jtiOf(token) });
      expect(rows.map((r) => r.outcome)).toEqual(["DENIED", "DENIED"]);
    });

    it("audits the auditor's own query", async () => {
      const auditor = await signToken(system, "app:auditor-audited", ["audit:read"], { purpose: "AUDIT_REVIEW" });
      const result = await postGraphQL(system.gatewayUrl, PAGE_QUERY, { first: 1 }, bearer(auditor));
      expect(result.body.data.auditRecords.records).toHaveLength(1);
      const row = await recordOf(system, auditor);
      expect(row).toMatchObject({ app: "app:auditor-audited", purpose: "AUDIT_REVIEW", operationName: "Review", outcome: "ALLOWED", dataReleased: true });
      expect(row.requestedFields).toContain("Query.auditRecords");
      expect(row.subgraphs).toContain("audit");
      // The page it read was the newest record before its own.
      expect(BigInt(result.body.data.auditRecords.records[0].seq)).toBeLessThan(row.seq);
    });
  });

  describe("citizens", () => {
    const ACCESS_LOG = (id: string) => `{ citizen(id: "${id}") { accessLog { app purpose fields outcome time } } }`;

    it("a token bound to one citizen lists who read that citizen, and nothing about others", async () => {
      const liReader = await signToken(system, "app:reads-li-wei", STANDARD_SCOPES, { purpose: "LI_WEI_LOAN" });
      await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`, undefined, bearer(liReader));
      const zhangReader = await signToken(system, "app:reads-zhang-min-only", STANDARD_SCOPES, { purpose: "ZHANG_MIN_ONLY" });
      await postGraphQL(system.gatewayUrl, `{ citizen(id: "${ZHANG_MIN}") { name } }`, undefined, bearer(zhangReader));

      const self = await signToken(system, "app:citizen-portal", ["self:access-log"], { citizens: [LI_WEI], purpose: "SELF_SERVICE" });
      const result = await postGraphQL(system.gatewayUrl, ACCESS_LOG(LI_WEI), undefined, bearer(self));
      expect(result.body.errors).toBeUndefined();
      const log = result.body.data.citizen.accessLog as Array<{ app: string; purpose: string; fields: string[]; outcome: string; time: string }>;
      const apps = new Set(log.map((e) => e.app));
      expect(apps).toContain("app:reads-li-wei");
      expect(apps).toContain("app:audit-spouse"); // read 李伟 through 王芳's spouse
      expect(apps).not.toContain("app:reads-zhang-min-only");
      const entry = log.find((e) => e.app === "app:reads-li-wei")!;
      expect(entry).toMatchObject({ purpose: "LI_WEI_LOAN", outcome: "ALLOWED" });
      expect(entry.fields).toEqual(expect.arrayContaining(["Citizen.name", "HousingFundAccount.balance"]));
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
      const times = log.map((e) => Date.parse(e.time));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      // Exactly the records naming 李伟's pseudonym.
      // (The access-log query names 李伟 too; its own record is committed after it was answered.)
      const naming = await rowsOf(system, { citizens: { has: system.gateway.audit.pseudonymize(LI_WEI) } });
      expect(naming.at(-1)!.tokenId).toBe(jtiOf(self));
      expect(log).toHaveLength(Math.min(50, naming.length - 1));
      expect(new Set(log.map((e) => e.app))).toEqual(new Set(naming.slice(0, -1).map((r) => r.app)));

      const answer = JSON.stringify(result.body);
      const { pseudonymize } = system.gateway.audit;
      for (const other of [WANG_FANG, ZHANG_MIN]) {
        expect(answer).not.toContain(other);
        expect(answer).not.toContain(pseudonymize(other));
      }
      expect(answer).not.toContain(pseudonymize(LI_WEI));
      expect(answer).not.toContain("ZHANG_MIN_ONLY");
    });

    it("refuses a citizen's access log to a token bound to another, to none, or to two citizens", async () => {
      const cases = [
        { citizens: undefined, asked: LI_WEI },
        { citizens: [LI_WEI, WANG_FANG], asked: LI_WEI },
        { citizens: [WANG_FANG], asked: LI_WEI },
      ];
      for (const { citizens, asked } of cases) {
        const token = await signToken(system, "app:citizen-portal", ["self:access-log"], citizens ? { citizens } : {});
        const result = await postGraphQL(system.gatewayUrl, ACCESS_LOG(asked), undefined, bearer(token));
        expect(codes(result), JSON.stringify(citizens)).toContain("FORBIDDEN");
        expect(result.body.data?.citizen?.accessLog ?? null).toBeNull();
        expect(JSON.stringify(result.body)).not.toContain("app:reads-li-wei");
      }
    });

    it("refuses the access log without self:access-log", async () => {
      const token = await signToken(system, "app:citizen-portal", STANDARD_SCOPES, { citizens: [LI_WEI] });
      const result = await postGraphQL(system.gatewayUrl, ACCESS_LOG(LI_WEI), undefined, bearer(token));
      expect(codes(result)).toContain("FORBIDDEN");
      expect(result.body.data?.citizen?.accessLog ?? null).toBeNull();
    });
  });

  describe("group commit under load", () => {
    it("keeps exact books: responses with data = records with dataReleased, one record per response; the chain verifies", async () => {
      const allowed = await signToken(system, "app:load-test", STANDARD_SCOPES, { purpose: "LOAD_ALLOWED" });
      const denied = await signToken(system, "app:load-test", ["tax:verify"], { purpose: "LOAD_DENIED" });
      const partial = await signToken(system, "app:load-test", ["civil-affairs:identity"], { purpose: "LOAD_PARTIAL" });
      const bad = await signToken(system, "app:load-test", STANDARD_SCOPES, { purpose: "LOAD_BAD" });
      const invalid = await signToken(system, "app:load-test", STANDARD_SCOPES, { purpose: "LOAD_INVALID" });
      const kinds = [
        { token: allowed, query: `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`, variables: undefined },
        { token: denied, query: `{ citizen(id: "${WANG_FANG}") { name } }`, variables: undefined },
        { token: partial, query: `{ citizen(id: "${ZHANG_MIN}") { name housingFundAccount { balance } } }`, variables: undefined },
        { token: bad, query: `query($id: ID!) { citizen(id: $id) { name } }`, variables: { id: "123" } },
        { token: invalid, query: `{ citizen(id: "${LI_WEI}") { nope } }`, variables: undefined },
      ];
      const commitsBefore = system.gateway.audit.writer.stats().commits;
      const N = 300;
      const results = await bounded(
        Array.from({ length: N }, (_, i) => () => {
          const kind = kinds[i % kinds.length]!;
          return postGraphQL(system.gatewayUrl, kind.query, kind.variables, bearer(kind.token));
        }),
        32,
      );
      const transactions = system.gateway.audit.writer.stats().commits - commitsBefore;
      expect(results.every((r) => r.status === 200 || r.status === 400)).toBe(true);
      const withData = results.filter((r) => r.body.data !== undefined && r.body.data !== null).length;
      const rows = await rowsOf(system, { app: "app:load-test" });
      expect(rows).toHaveLength(N);
      expect(rows.filter((r) => r.dataReleased).length).toBe(withData);
      // Per kind too: each token's responses and records agree.
      for (const [index, kind] of kinds.entries()) {
        const responses = results.filter((_, i) => i % kinds.length === index);
        const records = rows.filter((r) => r.tokenId === jtiOf(kind.token));
        expect(records).toHaveLength(responses.length);
        expect(records.filter((r) => r.dataReleased).length).toBe(responses.filter((r) => r.body.data != null).length);
      }
      expect(withData).toBeGreaterThan(0);
      expect(withData).toBeLessThan(N);
      const chain = await verify(system);
      expect(chain).toMatchObject({ ok: true, firstBadSeq: null });
      // Group commit: fewer transactions than records (each commit is one statement extending the chain).
      console.info(`audit writer: ${N} records in ${transactions} transactions`);
      expect(transactions).toBeGreaterThan(0);
      expect(transactions).toBeLessThan(N);
    });
  });

  describe("append-only", () => {
    it.each([
      ["UPDATE", `UPDATE audit_record SET purpose = 'EDITED' WHERE seq = 1`],
      ["DELETE", `DELETE FROM audit_record WHERE seq = 1`],
      ["TRUNCATE", `TRUNCATE audit_record`],
    ])("refuses %s", async (_op, sql) => {
      const before = await system.gateway.audit.database.prisma.auditRecord.findUnique({ where: { seq: 1n } });
      expect(before).not.toBeNull();
      await expect(system.gateway.audit.database.session.exec(sql)).rejects.toThrow();
      const after = await system.gateway.audit.database.prisma.auditRecord.findUnique({ where: { seq: 1n } });
      expect(after).toEqual(before);
    });
  });
});

describe("tamper evidence", () => {
  let system: System;
  const heads = () => join(system.workDir, "audit-heads.jsonl");

  /** Signs the chain head now, exactly as the gateway does at intervals. */
  async function signHead(): Promise<void> {
    const signing = startChainHeadSigning({ session: system.gateway.audit.database.session, key: system.gatewayKey, path: heads(), intervalMs: 3_600_000 });
    await signing.signNow();
    await signing.stop();
  }

  async function traffic(count: number, purpose: string): Promise<void> {
    const token = await signToken(system, "app:tamper-traffic", STANDARD_SCOPES, { purpose });
    for (let i = 0; i < count; i++) await postGraphQL(system.gatewayUrl, `{ citizen(id: "${DEMO_IDS[i % 3]}") { name } }`, undefined, bearer(token));
  }

  /** Records before the traffic (the governance steps that granted the suite's apps): scenario seqs count from here. */
  let base = 0n;

  async function lastSeq(): Promise<bigint> {
    return (await system.gateway.audit.database.prisma.auditRecord.findFirst({ orderBy: { seq: "desc" } }))!.seq;
  }

  beforeAll(async () => {
    system = await startSystem({
      suite: "audit-tamper",
      gateway: { auditHeadIntervalMs: 3_600_000 },
      // Only names are read here: the other agencies need not start.
      withoutAgencies: ["credit", "housing-fund", "real-estate", "tax"],
    });
    base = await lastSeq();
    await traffic(6, "TAMPER_TEST");
    await signHead();
    await traffic(6, "TAMPER_TEST");
    expect(await verify(system)).toMatchObject({ ok: true, signedHeads: 1 });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("bypassing the triggers as superuser works on this database (the premise of the scenarios)", async () => {
    await asSuperuser(system, `UPDATE audit_record SET latency_ms = latency_ms WHERE seq = 1`);
  });

  it("names the record of which one byte was edited", async () => {
    const seq = base + 8n;
    const row = (await system.gateway.audit.database.prisma.auditRecord.findUnique({ where: { seq } }))!;
    expect(row.purpose).toBe("TAMPER_TEST");
    await asSuperuser(system, `UPDATE audit_record SET purpose = 'TAMPER_TESU' WHERE seq = ${seq}`);
    try {
      expect(await verify(system)).toMatchObject({ ok: false, firstBadSeq: String(seq) });
    } finally {
      await asSuperuser(system, `UPDATE audit_record SET purpose = 'TAMPER_TEST' WHERE seq = ${seq}`);
    }
    expect((await verify(system)).ok).toBe(true);
  });

  /** Deletes record `seq` (triggers bypassed), expects verify to name it, restores it, expects verify to pass again. */
  async function expectDeletionNamed(seq: bigint): Promise<void> {
    await asSuperuser(system, `CREATE TABLE tamper_saved AS SELECT * FROM audit_record WHERE seq = ${seq}; DELETE FROM audit_record WHERE seq = ${seq}`);
    try {
      expect(await verify(system)).toMatchObject({ ok: false, firstBadSeq: String(seq) });
    } finally {
      await asSuperuser(system, `INSERT INTO audit_record SELECT * FROM tamper_saved; DROP TABLE tamper_saved`);
    }
    expect((await verify(system)).ok).toBe(true);
  }

  it("names a deleted record", async () => {
    await expectDeletionNamed(base + 5n);
  });

  it("names the last record when it was deleted after a head was signed over it (truncation)", async () => {
    await signHead();
    await expectDeletionNamed(await lastSeq());
  });

  it("names the first of two swapped records", async () => {
    const [a, b] = [base + 3n, base + 6n];
    const swap = `UPDATE audit_record SET seq = -1 WHERE seq = ${a}; UPDATE audit_record SET seq = ${a} WHERE seq = ${b}; UPDATE audit_record SET seq = ${b} WHERE seq = -1`;
    await asSuperuser(system, swap);
    try {
      expect(await verify(system)).toMatchObject({ ok: false, firstBadSeq: String(a) });
    } finally {
      await asSuperuser(system, swap);
    }
    expect((await verify(system)).ok).toBe(true);
  });

  it("finds an edit whose chain was recomputed after it, by the signed head", async () => {
    const prisma = system.gateway.audit.database.prisma;
    const firstHead = base + 6n;
    await traffic(3, "TAMPER_TEST");
    await signHead();
    const head = await lastSeq();
    const edited = firstHead + 3n;
    const originals = await prisma.auditRecord.findMany({ where: { seq: { gte: edited } }, orderBy: { seq: "asc" } });
    expect(originals[0]!.purpose).toBe("TAMPER_TEST");
    // Recompute every hash from the edited record on, so the chain itself is consistent again.
    let prevHash = originals[0]!.prevHash;
    const statements: string[] = [];
    for (const row of originals) {
      const { seq, prevHash: _p, hash: _h, ...rest } = row;
      const entry = { ...rest, purpose: seq === edited ? "TAMPER_TESU" : rest.purpose } as AuditEntry;
      const hash = chainHash(prevHash, seq, entry);
      statements.push(`UPDATE audit_record SET purpose = '${entry.purpose}', prev_hash = '${prevHash}', hash = '${hash}' WHERE seq = ${seq}`);
      prevHash = hash;
    }
    await asSuperuser(system, statements.join("; "));
    try {
      const result = await verify(system);
      expect(result.ok).toBe(false);
      expect(result.problem).toMatch(/signed/);
      // The edit lies between the last head that still matches and the head that no longer does.
      expect(BigInt(result.firstBadSeq!)).toBeGreaterThan(firstHead);
      expect(BigInt(result.firstBadSeq!)).toBeLessThanOrEqual(edited);
      expect(result.problem).toMatch(/head signed/);
      expect(head).toBeGreaterThan(edited);
      // Without the heads file the recomputed chain would pass: the signed head is what catches it.
      const bare = await verifyAuditChain({
        prisma,
        gatewayJwks: publicJwksOfPrivateKey(system.keys.gatewayPrivate),
        headsPath: join(system.workDir, "no-heads.jsonl"),
      });
      expect(bare.ok).toBe(true);
    } finally {
      await asSuperuser(
        system,
        originals.map((r) => `UPDATE audit_record SET purpose = '${r.purpose}', prev_hash = '${r.prevHash}', hash = '${r.hash}' WHERE seq = ${r.seq}`).join("; "),
      );
    }
    expect((await verify(system)).ok).toBe(true);
  });

  it("rejects a forged heads file", async () => {
    const { appendFileSync } = await import("node:fs");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const original = readFileSync(heads(), "utf8");
    const line = JSON.parse(original.split("\n")[0]!);
    appendFileSync(heads(), `${JSON.stringify({ ...line, jws: `${line.jws.slice(0, -4)}AAAA` })}\n`);
    try {
      expect((await verify(system)).ok).toBe(false);
    } finally {
      writeFileSync(heads(), original);
    }
  });
});

describe.skipIf(!usingPostgres)("fail closed when the audit database is unreachable", () => {
  const DATABASE = `${process.env.TEST_DB_PREFIX ?? "test"}_failclosed_gateway`;
  let system: System;
  let proxy: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  const target = new URL(process.env.DATABASE_URL ?? "postgresql://127.0.0.1:5432");

  function startProxy(): Promise<void> {
    proxy = createServer((client) => {
      const server = connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(server);
      const close = () => {
        client.destroy();
        server.destroy();
        sockets.delete(client);
        sockets.delete(server);
      };
      client.on("error", close).on("close", close);
      server.on("error", close).on("close", close);
      client.pipe(server).pipe(client);
    });
    return new Promise((resolve) => proxy.listen(port, "127.0.0.1", () => {
      port = (proxy.address() as { port: number }).port;
      resolve();
    }));
  }

  function stopProxy(): Promise<void> {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    return new Promise((resolve) => proxy.close(() => resolve()));
  }

  async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: withDatabaseName(process.env.DATABASE_URL!, "postgres") });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`));
    await startProxy();
    const proxied = new URL(process.env.DATABASE_URL!);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(port);
    system = await startSystem({
      suite: "failclosed",
      withoutAgencies: ["credit", "real-estate", "tax"],
      gateway: { auditDatabase: { kind: "postgres", url: withDatabaseName(proxied.toString(), DATABASE), databaseName: DATABASE } },
    });
  });

  afterAll(async () => {
    await system?.stop().catch(() => {});
    if (proxy?.listening) await stopProxy();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`));
  });

  const ask = () => postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { balance } } }`);

  it("serves data while the audit database is reachable, 503 without data while not, and resumes by itself", async () => {
    const up = await ask();
    expect(up.status).toBe(200);
    expect(up.body.data.citizen.name).toBe("李伟");

    await stopProxy();
    for (let i = 0; i < 3; i++) {
      const down = await ask();
      expect(down.status).toBe(503);
      expect(codes(down)).toEqual(["SERVICE_UNAVAILABLE"]);
      expect(down.body.data).toBeUndefined();
      expect(JSON.stringify(down.body)).not.toContain("86400.00");
      expect(JSON.stringify(down.body)).not.toContain("李伟");
    }

    await startProxy();
    const deadline = Date.now() + 10_000;
    let again: GraphQLResult;
    do {
      again = await ask();
      if (again.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } while (Date.now() < deadline);
    expect(again.status).toBe(200);
    expect(again.body.data.citizen.housingFundAccount.balance).toBe("86400.00");

    // Every response with data has its record; the refused ones may or may not have been recorded, but none says data was released.
    const released = await system.gateway.audit.database.prisma.auditRecord.count({ where: { dataReleased: true, app: "app:integration-tests" } });
    expect(released).toBe(2);
    expect((await verify(system)).ok).toBe(true);
  });
});
