import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from "../../gateway/config.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const APP = "app:loan-review";
const PURPOSE = "HOUSING_LOAN_REVIEW";

let system: System;
let sign: (subject: string, scopes: string[], purpose?: string) => Promise<string>;

beforeAll(async () => {
  system = await startSystem({ suite: "governance", grants: [] });
  sign = (subject, scopes, purpose = PURPOSE) =>
    signDevToken({ key: system.issuerKey, issuer: DEV_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, subject, scopes, purpose });
});

afterAll(async () => {
  await system?.stop();
});

async function ask(token: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
  return postGraphQL(system.gatewayUrl, query, variables, { authorization: `Bearer ${token}` });
}

const INCOME = `query Income($id: ID!) { citizen(id: $id) { incomeRecord(year: 2025) { totalIncome } incomeAtLeast(year: 2025, amount: "100000.00") } }`;

function forbiddenReasons(result: GraphQLResult): Record<string, unknown> {
  return Object.fromEntries((result.body.errors ?? []).map((e) => [(e.path ?? []).join("."), `${e.extensions?.code}/${e.extensions?.reason}`]));
}

const APPLY = `mutation Apply($input: AccessApplicationInput!) {
  applyForAccess(input: $input) { id agency status scopes pendingScopes ageWorkingDays overdue }
}`;

function application(scopes: string[], purpose = PURPOSE) {
  return {
    input: {
      app: APP,
      purpose,
      scopes,
      description: "审核公积金贷款申请人的收入 checks a loan applicant's income",
      legalBasis: "《住房公积金管理条例》第二十六条",
      scenario: "公积金贷款审批 housing-fund loan approval",
      durationDays: 90,
    },
  };
}

describe("sharing applications, grants and purpose binding", () => {
  let appToken: string;
  let approver: string;
  let pendingId: string;

  it("1. a token holding tax:income for an app with no grant gets FORBIDDEN/NO_GRANT", async () => {
    appToken = await sign(APP, ["tax:income", "tax:verify"]);
    approver = await sign("user:tax-approver", ["grants:approve:tax"], "GRANT_REVIEW");
    const result = await ask(appToken, INCOME, { id: LI_WEI });
    expect(result.body.data.citizen).toEqual({ incomeRecord: null, incomeAtLeast: null });
    expect(forbiddenReasons(result)).toEqual({ "citizen.incomeRecord": "FORBIDDEN/NO_GRANT", "citizen.incomeAtLeast": "FORBIDDEN/NO_GRANT" });
  });

  it("an unregistered app cannot apply; a registered one can", async () => {
    const refused = await ask(appToken, APPLY, application(["tax:verify"]));
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const registered = await ask(appToken, `mutation { registerApp(app: "${APP}", department: "太原市住房公积金管理中心", contact: "贷款科 0351-0000000") { app department } }`);
    expect(registered.body.data.registerApp).toEqual({ app: APP, department: "太原市住房公积金管理中心" });
  });

  it("2. the unconditional scope works at once; the conditional one waits for the tax approver, then works", async () => {
    const applied = await ask(appToken, APPLY, application(["tax:income", "tax:verify"]));
    expect(applied.body.errors).toBeUndefined();
    const [filed] = applied.body.data.applyForAccess;
    expect(filed).toMatchObject({ agency: "tax", status: "PENDING", scopes: ["tax:income", "tax:verify"], pendingScopes: ["tax:income"], ageWorkingDays: 0, overdue: false });
    pendingId = filed.id;

    const halfway = await ask(appToken, INCOME, { id: LI_WEI });
    expect(halfway.body.data.citizen.incomeAtLeast).toBe(true);
    expect(halfway.body.data.citizen.incomeRecord).toBeNull();
    expect(forbiddenReasons(halfway)).toEqual({ "citizen.incomeRecord": "FORBIDDEN/NO_GRANT" });

    // The tax bureau sees the automatic grant on its list, and the pending application.
    const list = await ask(approver, `{ grants(agency: "tax") { app purpose scopes grantedBy status } applications(agency: "tax", status: PENDING) { id app } }`);
    expect(list.body.data.grants).toEqual([{ app: APP, purpose: PURPOSE, scopes: ["tax:verify"], grantedBy: "system", status: "ACTIVE" }]);
    expect(list.body.data.applications).toEqual([{ id: pendingId, app: APP }]);

    // The app cannot approve itself; another agency's approver cannot either.
    const self = await ask(appToken, `mutation { approveApplication(id: "${pendingId}") { status } }`);
    expect(self.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const other = await ask(await sign("user:credit-approver", ["grants:approve:credit"], "GRANT_REVIEW"), `mutation { approveApplication(id: "${pendingId}") { status } }`);
    expect(other.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const approved = await ask(approver, `mutation { approveApplication(id: "${pendingId}") { status decidedBy } }`);
    expect(approved.body.data.approveApplication).toEqual({ status: "APPROVED", decidedBy: "user:tax-approver" });
    const after = await ask(appToken, INCOME, { id: LI_WEI });
    expect(after.body.errors).toBeUndefined();
    expect(after.body.data.citizen).toEqual({ incomeRecord: { totalIncome: "186000.00" }, incomeAtLeast: true });
  });

  it("3. a refusal without a reason is rejected; with one it is recorded", async () => {
    const applied = await ask(appToken, APPLY, application(["credit:report"]));
    const [filed] = applied.body.data.applyForAccess;
    const creditApprover = await sign("user:credit-approver", ["grants:approve:credit"], "GRANT_REVIEW");
    for (const reason of ["", "   "]) {
      const refused = await ask(creditApprover, `mutation($id: ID!, $reason: String!) { refuseApplication(id: $id, reason: $reason) { status } }`, { id: filed.id, reason });
      expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    const refused = await ask(creditApprover, `mutation($id: ID!) { refuseApplication(id: $id, reason: "贷款审核无需完整信用报告,请改用 credit:verify") { status reason } }`, { id: filed.id });
    expect(refused.body.data.refuseApplication).toEqual({ status: "REFUSED", reason: "贷款审核无需完整信用报告,请改用 credit:verify" });
    const report = await ask(await sign(APP, ["credit:report"]), `{ citizen(id: "${LI_WEI}") { creditReport { score } } }`);
    expect(forbiddenReasons(report)).toEqual({ "citizen.creditReport": "FORBIDDEN/NO_GRANT" });
  });

  it("5. a token whose purpose differs gets nothing beyond that purpose's unconditional grants", async () => {
    const otherPurpose = await sign(APP, ["tax:income", "tax:verify"], "MARKETING");
    const none = await ask(otherPurpose, INCOME, { id: LI_WEI });
    expect(forbiddenReasons(none)).toEqual({ "citizen.incomeRecord": "FORBIDDEN/NO_GRANT", "citizen.incomeAtLeast": "FORBIDDEN/NO_GRANT" });
    await ask(appToken, APPLY, application(["tax:income", "tax:verify"], "MARKETING"));
    const unconditionalOnly = await ask(otherPurpose, INCOME, { id: LI_WEI });
    expect(unconditionalOnly.body.data.citizen.incomeAtLeast).toBe(true);
    expect(forbiddenReasons(unconditionalOnly)).toEqual({ "citizen.incomeRecord": "FORBIDDEN/NO_GRANT" });
  });

  it("a revocation needs a reason and makes the field FORBIDDEN/NO_GRANT again", async () => {
    const grants = await ask(approver, `{ grants(app: "${APP}", purpose: "${PURPOSE}", activeOnly: true) { id scopes } }`);
    const income = grants.body.data.grants.find((g: { scopes: string[] }) => g.scopes.includes("tax:income"));
    const noReason = await ask(approver, `mutation { revokeGrant(id: "${income.id}", reason: "") { status } }`);
    expect(noReason.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const revoked = await ask(approver, `mutation { revokeGrant(id: "${income.id}", reason: "贷款审批已结束") { status revokedBy revokeReason } }`);
    expect(revoked.body.data.revokeGrant).toEqual({ status: "REVOKED", revokedBy: "user:tax-approver", revokeReason: "贷款审批已结束" });
    const after = await ask(appToken, INCOME, { id: LI_WEI });
    expect(forbiddenReasons(after)).toEqual({ "citizen.incomeRecord": "FORBIDDEN/NO_GRANT" });
    expect(after.body.data.citizen.incomeAtLeast).toBe(true);
  });

  it("a grant may fix a verification field's arguments: other arguments are FORBIDDEN/GRANT_ARGUMENTS", async () => {
    const input = { ...application(["tax:verify"], "LOAN_INCOME_CHECK").input, fixedArguments: [{ field: "Citizen.incomeAtLeast", arguments: JSON.stringify({ amount: "100000.00" }) }] };
    const applied = await ask(appToken, APPLY, { input });
    expect(applied.body.data.applyForAccess[0].status).toBe("GRANTED");
    const loan = await sign(APP, ["tax:verify"], "LOAN_INCOME_CHECK");
    const check = `query Check($amount: Money!) { citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: $amount) } }`;
    const allowed = await ask(loan, check, { amount: "100000.00" });
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data).toEqual({ citizen: { incomeAtLeast: true } });
    const other = await ask(loan, check, { amount: "180000.00" });
    expect(other.body.data.citizen.incomeAtLeast).toBeNull();
    expect(forbiddenReasons(other)).toEqual({ "citizen.incomeAtLeast": "FORBIDDEN/GRANT_ARGUMENTS" });
    const literal = await ask(loan, `{ citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: "1.00") } }`);
    expect(forbiddenReasons(literal)).toEqual({ "citizen.incomeAtLeast": "FORBIDDEN/GRANT_ARGUMENTS" });
  });

  it("not-shared or unknown scopes and incomplete applications are refused", async () => {
    const unknown = await ask(appToken, APPLY, application(["tax:everything"]));
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const incomplete = await ask(appToken, APPLY, { input: { ...application(["tax:verify"]).input, legalBasis: " " } });
    expect(incomplete.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const otherApp = await ask(appToken, APPLY, { input: { ...application(["tax:verify"]).input, app: "app:someone-else" } });
    expect(otherApp.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("every step is in the audit chain under who took it, and the denied read says NO_GRANT", async () => {
    const auditor = await sign("app:auditor", ["audit:read"], "AUDIT_REVIEW");
    const result = await ask(auditor, `{ auditRecords(first: 200) { records { app operationName purpose errorCodes deniedFields time } } auditChain { ok } }`);
    const records = result.body.data.auditRecords.records as Array<{ app: string; operationName: string | null; errorCodes: string[]; deniedFields: string[] }>;
    const steps = new Set(records.filter((r) => r.operationName?.startsWith("governance:")).map((r) => `${r.app} ${r.operationName}`));
    for (const step of [
      `${APP} governance:REGISTER_APP`,
      `${APP} governance:APPLY`,
      "system governance:GRANT",
      "user:tax-approver governance:GRANT",
      "user:credit-approver governance:REFUSE",
      "user:tax-approver governance:REVOKE",
    ]) {
      expect(steps).toContain(step);
    }
    expect(records.some((r) => r.app === APP && r.errorCodes.includes("FORBIDDEN:NO_GRANT") && r.deniedFields.includes("Citizen.incomeRecord"))).toBe(true);
    expect(result.body.data.auditChain.ok).toBe(true);
  });

  it("the catalog is readable by any authenticated caller, with owner, level, class and scope", async () => {
    const anyone = await sign("app:nobody", [], "BROWSING");
    const result = await ask(anyone, `{ catalog(agency: "tax") { coordinate agency level sharing scope type description } catalogScopes { scope sharing } }`);
    const income = result.body.data.catalog.find((f: { coordinate: string }) => f.coordinate === "Citizen.incomeRecord");
    expect(income).toMatchObject({ agency: "tax", level: "L4", sharing: "CONDITIONAL", scope: "tax:income", type: "IncomeRecord" });
    expect(income.description).toContain("个人所得");
    expect(result.body.data.catalogScopes).toContainEqual({ scope: "tax:verify", sharing: "UNCONDITIONAL" });
  });
});
