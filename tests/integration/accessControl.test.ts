/**
 * Access control through the gateway, over real HTTP: scopes per field
 * (through aliases, fragments, nesting, variables), citizen binding (root
 * arguments, spouse, partner, owners, loan collateral owners), verification
 * fields (可用不可见), the decision cache, and AUTHZ_MODE=reject.
 * Assertions are on `extensions.code`, paths and data — never message text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken, type DevTokenOptions } from "../../platform/security/signDevToken.ts";
import { postGraphQL, withoutReceipt, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
const ZHANG_MIN = "330106197501050017";
/** A valid resident id that no seeded citizen has. */
const UNKNOWN_ID = "110101199001010015";

const ALL_SCOPES = STANDARD_SCOPES;

function signToken(system: System, scopes: readonly string[], extra: Partial<DevTokenOptions> = {}): Promise<string> {
  return signDevToken({
    key: system.issuerKey,
    issuer: DEV_TOKEN_ISSUER,
    audience: DEFAULT_TOKEN_AUDIENCE,
    subject: "app:access-control-tests",
    scopes,
    purpose: "ACCESS_CONTROL_TEST",
    ...extra,
  });
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** `{ "citizen.housingFundAccount": "FORBIDDEN", ... }` keyed by the JSON of each error's path. */
function codesByPath(result: GraphQLResult): Map<string, string | undefined> {
  return new Map((result.body.errors ?? []).map((e) => [JSON.stringify(e.path ?? []), e.extensions?.code]));
}

function expectForbiddenAt(result: GraphQLResult, ...paths: Array<Array<string | number>>): void {
  const codes = codesByPath(result);
  for (const path of paths) expect(codes.get(JSON.stringify(path)), `error at ${JSON.stringify(path)}`).toBe("FORBIDDEN");
}

/** Every error of the response is FORBIDDEN and exactly at `paths`. */
function expectOnlyForbiddenAt(result: GraphQLResult, ...paths: Array<Array<string | number>>): void {
  const errors = result.body.errors ?? [];
  expect(errors.map((e) => e.extensions?.code)).toEqual(paths.map(() => "FORBIDDEN"));
  expect(new Set(errors.map((e) => JSON.stringify(e.path)))).toEqual(new Set(paths.map((p) => JSON.stringify(p))));
}

describe("access control (filter mode)", () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ suite: "access-control" });
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function ask(scopes: readonly string[], query: string, variables?: Record<string, unknown>, extra: Partial<DevTokenOptions> = {}) {
    return postGraphQL(system.gatewayUrl, query, variables, bearer(await signToken(system, scopes, extra)));
  }

  describe("authentication", () => {
    it("refuses a request without a token with HTTP 401 and one UNAUTHENTICATED error", async () => {
      const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { id } }`, undefined, { authorization: "" });
      expect(result.status).toBe(401);
      expect(result.body.errors).toHaveLength(1);
      expect(result.body.errors![0]!.extensions?.code).toBe("UNAUTHENTICATED");
      expect(result.body.data ?? null).toBeNull();
    });

    it("refuses a request whose Authorization is not a bearer token", async () => {
      const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { id } }`, undefined, { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` });
      expect(result.status).toBe(401);
      expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
      expect(result.body.data ?? null).toBeNull();
    });
  });

  describe("done-when checks", () => {
    it("(a) identity + verify token: name and the yes/no, but not the account", async () => {
      const result = await ask(
        ["civil-affairs:identity", "housing-fund:verify"],
        `{ citizen(id: "${LI_WEI}") { name housingFundContributedMonths(atLeast: 12) housingFundAccount { balance } } }`,
      );
      expect(result.status).toBe(200);
      expect(result.body.data).toEqual({ citizen: { name: "李伟", housingFundContributedMonths: true, housingFundAccount: null } });
      expectOnlyForbiddenAt(result, ["citizen", "housingFundAccount"]);
      // The error says why and what to ask for.
      expect(result.body.errors![0]!.extensions).toMatchObject({ reason: "SCOPE", requiredScopes: [["housing-fund:account"]] });
    });

    describe("(b) a token bound to 王芳 with every scope", () => {
      const leaks = (result: GraphQLResult) => {
        const json = JSON.stringify(result.body);
        expect(json).not.toContain("李伟");
        expect(json).not.toContain(LI_WEI);
      };

      it("reads her own name", async () => {
        const result = await ask(ALL_SCOPES, `{ citizen(id: "${WANG_FANG}") { id name } }`, undefined, { citizens: [WANG_FANG] });
        expect(result.body.data).toEqual({ citizen: { id: WANG_FANG, name: "王芳" } });
        expect(result.body.errors ?? []).toEqual([]);
      });

      it("gets nothing of 李伟 through spouse", async () => {
        const result = await ask(ALL_SCOPES, `{ citizen(id: "${WANG_FANG}") { name spouse { id name birthDate } } }`, undefined, { citizens: [WANG_FANG] });
        expect(result.body.data).toEqual({ citizen: { name: "王芳", spouse: null } });
        expectOnlyForbiddenAt(result, ["citizen", "spouse"]);
        leaks(result);
      });

      it("gets nothing of 李伟 through her home's owners", async () => {
        const result = await ask(
          ALL_SCOPES,
          `{ citizen(id: "${WANG_FANG}") { name properties { certificateNumber owners { share owner { id name } } } } }`,
          undefined,
          { citizens: [WANG_FANG] },
        );
        const citizen = result.body.data.citizen;
        expect(citizen.name).toBe("王芳");
        expect(citizen.properties).toHaveLength(1);
        const owners = citizen.properties[0].owners as Array<{ share: number; owner: { id: string; name: string } | null }>;
        expect(owners).toHaveLength(2);
        const mine = owners.findIndex((o) => o.owner?.id === WANG_FANG);
        const other = 1 - mine;
        expect(owners[mine]).toEqual({ share: 0.5, owner: { id: WANG_FANG, name: "王芳" } });
        expect(owners[other]!.owner).toBeNull();
        expectOnlyForbiddenAt(result, ["citizen", "properties", 0, "owners", other, "owner"]);
        leaks(result);
      });

      it("gets nothing of 李伟 through citizen(id:)", async () => {
        const result = await ask(ALL_SCOPES, `{ citizen(id: "${LI_WEI}") { id name } }`, undefined, { citizens: [WANG_FANG] });
        expect(result.body.data).toEqual({ citizen: null });
        expectOnlyForbiddenAt(result, ["citizen"]);
        leaks(result);
      });
    });
  });

  describe("citizen binding", () => {
    it("answers citizen(id:) of an unbound existing id exactly like an unbound nonexistent id", async () => {
      const query = `query($id: ID!) { citizen(id: $id) { id name housingFundAccount { status } } }`;
      const token = await signToken(system, ALL_SCOPES, { citizens: [WANG_FANG] });
      const existing = await postGraphQL(system.gatewayUrl, query, { id: LI_WEI }, bearer(token));
      const missing = await postGraphQL(system.gatewayUrl, query, { id: UNKNOWN_ID }, bearer(token));
      expect(existing.status).toBe(missing.status);
      // Each response has its own signed receipt (its own audit record); the rest is identical.
      expect(withoutReceipt(existing.body)).toEqual(withoutReceipt(missing.body));
      expect(existing.body.data).toEqual({ citizen: null });
      expectOnlyForbiddenAt(existing, ["citizen"]);
      // Without binding the two differ: one exists, the other is null without error.
      const unboundMissing = await ask(ALL_SCOPES, query, { id: UNKNOWN_ID });
      expect(unboundMissing.body.data).toEqual({ citizen: null });
      expect(unboundMissing.body.errors ?? []).toEqual([]);
    });

    it("refuses the unbound elements of citizens(ids:) and keeps the bound ones", async () => {
      const result = await ask(ALL_SCOPES, `{ citizens(ids: ["${LI_WEI}", "${WANG_FANG}", "${ZHANG_MIN}"]) { id name } }`, undefined, { citizens: [WANG_FANG] });
      expect(result.body.data).toEqual({ citizens: [null, { id: WANG_FANG, name: "王芳" }, null] });
      expectOnlyForbiddenAt(result, ["citizens", 0], ["citizens", 2]);
      expect(JSON.stringify(result.body)).not.toContain("李伟");
      expect(JSON.stringify(result.body)).not.toContain("张敏");
    });

    it("refuses marriageRecords.partner outside the binding and keeps the record", async () => {
      const result = await ask(ALL_SCOPES, `{ citizen(id: "${WANG_FANG}") { marriageRecords { kind registeredOn partner { id name } } } }`, undefined, {
        citizens: [WANG_FANG],
      });
      expect(result.body.data.citizen.marriageRecords).toEqual([{ kind: "MARRIAGE", registeredOn: "2014-05-20", partner: null }]);
      expectOnlyForbiddenAt(result, ["citizen", "marriageRecords", 0, "partner"]);
      expect(JSON.stringify(result.body)).not.toContain("李伟");
    });

    it("refuses the loan collateral's other owner", async () => {
      const result = await ask(
        ALL_SCOPES,
        `{ citizen(id: "${LI_WEI}") { name housingFundAccount { loans { principal collateral { certificateNumber owners { share owner { id name } } } } } } }`,
        undefined,
        { citizens: [LI_WEI] },
      );
      const citizen = result.body.data.citizen;
      expect(citizen.name).toBe("李伟");
      const loan = citizen.housingFundAccount.loans[0];
      expect(loan.principal).toBe("600000.00");
      const owners = loan.collateral.owners as Array<{ owner: { id: string; name: string } | null }>;
      expect(owners).toHaveLength(2);
      const other = owners.findIndex((o) => o.owner === null);
      expect(owners[1 - other]!.owner).toEqual({ id: LI_WEI, name: "李伟" });
      expectOnlyForbiddenAt(result, ["citizen", "housingFundAccount", "loans", 0, "collateral", "owners", other, "owner"]);
      expect(JSON.stringify(result.body)).not.toContain("王芳");
      expect(JSON.stringify(result.body)).not.toContain(WANG_FANG);
    });

    it("a token bound to both spouses reads both", async () => {
      const result = await ask(ALL_SCOPES, `{ citizen(id: "${WANG_FANG}") { name spouse { name } } }`, undefined, { citizens: [WANG_FANG, LI_WEI] });
      expect(result.body.data).toEqual({ citizen: { name: "王芳", spouse: { name: "李伟" } } });
      expect(result.body.errors ?? []).toEqual([]);
    });
  });

  describe("scopes through the shape of the operation", () => {
    it("denies every alias of a denied field", async () => {
      const result = await ask(["housing-fund:verify"], `{ citizen(id: "${LI_WEI}") { id a: name b: name ok: housingFundContributedMonths(atLeast: 12) } }`);
      expect(result.body.data).toEqual({ citizen: { id: LI_WEI, a: null, b: null, ok: true } });
      expectOnlyForbiddenAt(result, ["citizen", "a"], ["citizen", "b"]);
    });

    it("denies a field inside a named fragment", async () => {
      const result = await ask(
        ["civil-affairs:identity"],
        `query { citizen(id: "${LI_WEI}") { ...Person } } fragment Person on Citizen { name maritalStatus }`,
      );
      expect(result.body.data).toEqual({ citizen: { name: "李伟", maritalStatus: null } });
      expectOnlyForbiddenAt(result, ["citizen", "maritalStatus"]);
    });

    it("denies a field inside an inline fragment", async () => {
      const result = await ask(["civil-affairs:identity"], `{ citizen(id: "${LI_WEI}") { ... on Citizen { name creditReport { score } } } }`);
      expect(result.body.data).toEqual({ citizen: { name: "李伟", creditReport: null } });
      expectOnlyForbiddenAt(result, ["citizen", "creditReport"]);
    });

    it("denies at every place a fragment spread twice stands", async () => {
      const result = await ask(
        ["civil-affairs:identity", "civil-affairs:marriage"],
        `query { citizen(id: "${LI_WEI}") { ...Facts spouse { ...Facts } } } fragment Facts on Citizen { name isDishonestDebtor }`,
      );
      expect(result.body.data).toEqual({
        citizen: { name: "李伟", isDishonestDebtor: null, spouse: { name: "王芳", isDishonestDebtor: null } },
      });
      expectOnlyForbiddenAt(result, ["citizen", "isDishonestDebtor"], ["citizen", "spouse", "isDishonestDebtor"]);
    });

    // KNOWN BUG: gateway/authz/createOperationAuthorizer.ts records a denied path at every occurrence of the field
    // (each spread of a fragment, each repeat of the field), and markDeniedFields.ts writes one error per record,
    // so a field written twice at one place gets two identical FORBIDDEN errors (GraphQL executes it once).
    // Fix: deduplicate `denied` by path (e.g. in decide() before returning). Remove `.fails` once fixed.
    it("reports one error at a place where a denied field is written twice", async () => {
      const result = await ask(
        ["civil-affairs:identity"],
        `query { citizen(id: "${LI_WEI}") { name ...Status ...Status } } fragment Status on Citizen { maritalStatus }`,
      );
      expect(result.body.data).toEqual({ citizen: { name: "李伟", maritalStatus: null } });
      expect(result.body.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[["citizen", "maritalStatus"], "FORBIDDEN"]]);
    });

    it("denies at list positions", async () => {
      const result = await ask(["civil-affairs:identity"], `{ citizens(ids: ["${LI_WEI}", "${WANG_FANG}"]) { name maritalStatus } }`);
      expect(result.body.data).toEqual({
        citizens: [
          { name: "李伟", maritalStatus: null },
          { name: "王芳", maritalStatus: null },
        ],
      });
      expectOnlyForbiddenAt(result, ["citizens", 0, "maritalStatus"], ["citizens", 1, "maritalStatus"]);
    });

    it("denies a nested field through a relation and keeps the rest of the object", async () => {
      const result = await ask(
        ["civil-affairs:identity", "civil-affairs:marriage", "housing-fund:account"],
        `{ citizen(id: "${LI_WEI}") { name spouse { name housingFundAccount { status balance } } } }`,
      );
      expect(result.body.data).toEqual({
        citizen: { name: "李伟", spouse: { name: "王芳", housingFundAccount: { status: "ACTIVE", balance: null } } },
      });
      expectOnlyForbiddenAt(result, ["citizen", "spouse", "housingFundAccount", "balance"]);
    });

    it("runs an operation whose variable is used only in a denied field", async () => {
      const result = await ask(["civil-affairs:identity"], `query Q($y: Int!) { citizen(id: "${LI_WEI}") { name incomeRecord(year: $y) { totalIncome } } }`, { y: 2025 });
      expect(result.status).toBe(200);
      expect(result.body.data).toEqual({ citizen: { name: "李伟", incomeRecord: null } });
      expectOnlyForbiddenAt(result, ["citizen", "incomeRecord"]);
    });

    it("keeps an object whose whole selection set was denied, with only the denied key", async () => {
      const result = await ask(["housing-fund:account"], `{ citizen(id: "${LI_WEI}") { housingFundAccount { balance } } }`);
      expect(result.body.data).toEqual({ citizen: { housingFundAccount: { balance: null } } });
      expect(Object.keys(result.body.data.citizen.housingFundAccount)).toEqual(["balance"]);
      expectOnlyForbiddenAt(result, ["citizen", "housingFundAccount", "balance"]);
    });

    it("a verify-only token (可用不可见) gets the yes/no answers but none of the values", async () => {
      const result = await ask(
        ["credit:verify", "housing-fund:verify", "real-estate:verify", "tax:verify"],
        `{ citizen(id: "${LI_WEI}") {
            isDishonestDebtor
            housingFundContributedMonths(atLeast: 12)
            ownsResidentialPropertyIn(city: "太原市")
            incomeAtLeast(year: 2025, amount: "100000.00")
            creditReport { score }
            housingFundAccount { status }
            properties { city }
            incomeRecord(year: 2025) { totalIncome }
          } }`,
      );
      expect(result.body.data).toEqual({
        citizen: {
          isDishonestDebtor: false,
          housingFundContributedMonths: true,
          ownsResidentialPropertyIn: true,
          incomeAtLeast: true,
          creditReport: null,
          housingFundAccount: null,
          properties: null,
          incomeRecord: null,
        },
      });
      expectOnlyForbiddenAt(
        result,
        ["citizen", "creditReport"],
        ["citizen", "housingFundAccount"],
        ["citizen", "properties"],
        ["citizen", "incomeRecord"],
      );
      const json = JSON.stringify(result.body.data);
      for (const value of ["742", "86400.00", "186000.00", "太原市"]) expect(json).not.toContain(value);
    });

    it("gives the same answer to the same operation sent twice (decision cache)", async () => {
      const query = `{ citizen(id: "${LI_WEI}") { name housingFundAccount { status balance } creditReport { score } } }`;
      const token = await signToken(system, ["civil-affairs:identity", "housing-fund:account"]);
      const first = await postGraphQL(system.gatewayUrl, query, undefined, bearer(token));
      const second = await postGraphQL(system.gatewayUrl, query, undefined, bearer(token));
      expect(first.body.data).toEqual({ citizen: { name: "李伟", housingFundAccount: { status: "ACTIVE", balance: null }, creditReport: null } });
      expectOnlyForbiddenAt(first, ["citizen", "housingFundAccount", "balance"], ["citizen", "creditReport"]);
      expect(second.status).toBe(first.status);
      expect(withoutReceipt(second.body)).toEqual(withoutReceipt(first.body));
      // The same text with more scopes is decided anew, not from the cache.
      const wider = await ask(["civil-affairs:identity", "housing-fund:account", "housing-fund:balance", "credit:report"], query);
      expect(wider.body.data).toEqual({ citizen: { name: "李伟", housingFundAccount: { status: "ACTIVE", balance: "86400.00" }, creditReport: { score: 742 } } });
      expect(wider.body.errors ?? []).toEqual([]);
    });

    it("keeps scope denials and binding denials apart in one response", async () => {
      const result = await ask(["civil-affairs:identity", "civil-affairs:marriage"], `{ citizen(id: "${WANG_FANG}") { name gender spouse { name } creditReport { score } } }`, undefined, {
        citizens: [WANG_FANG],
      });
      expect(result.body.data).toEqual({ citizen: { name: "王芳", gender: "FEMALE", spouse: null, creditReport: null } });
      expectOnlyForbiddenAt(result, ["citizen", "spouse"], ["citizen", "creditReport"]);
    });
  });
});

describe("access control (AUTHZ_MODE=reject)", () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ suite: "access-control-reject", gateway: { authorizationMode: "reject" } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("refuses an operation with a denied field whole: one FORBIDDEN error, no data", async () => {
    const token = await signToken(system, ["civil-affairs:identity"]);
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name housingFundAccount { status } } }`, undefined, bearer(token));
    expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(result.body.data ?? null).toBeNull();
    expect(JSON.stringify(result.body)).not.toContain("李伟");
  });

  it("answers an operation with no denied field", async () => {
    const token = await signToken(system, ["civil-affairs:identity"]);
    const result = await postGraphQL(system.gatewayUrl, `{ citizen(id: "${LI_WEI}") { name } }`, undefined, bearer(token));
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ citizen: { name: "李伟" } });
    expect(result.body.errors ?? []).toEqual([]);
  });
});
