/**
 * The housing-fund loan-repayment withdrawal app as a citizen uses it, over
 * HTTP, against the real gateway and agencies: the four demo outcomes, the
 * spouse's consent, amounts, signed receipts behind every decision, minimum
 * data (the fields the app's requests touch, from the audit log, against
 * the rule's needs), the citizen's access log, and the credit agency down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HPF_APP_ID, HPF_PURPOSE } from "../../apps/hpf-withdrawal/config.ts";
import { ACCESS_LOG_NEED, RULE_NEEDS } from "../../apps/hpf-withdrawal/ruleNeeds.ts";
import { compareWithAuditRecord } from "../../gateway/receipts/compareWithAuditRecord.ts";
import { HPF_MINIMUM_GRANT, startHpfWithdrawalApp, Visitor, type RunningApp } from "../support/startHpfWithdrawalApp.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
const ZHANG_MIN = "330106197501050017";
const ZHAO_LEI = "14010519650909005X";

let system: System;
let app: RunningApp;

const answers = (decision: any) => Object.fromEntries(decision.conditions.map((c: any) => [c.id, c.answer]));

async function apply(citizenId: string, amount = ""): Promise<{ visitor: Visitor; decision: any }> {
  const visitor = new Visitor(app.url);
  await visitor.signInAndConsent(citizenId);
  const response = await visitor.request("/api/apply", { amount });
  expect(response.status).toBe(200);
  return { visitor, decision: response.body };
}

beforeAll(async () => {
  system = await startSystem({ suite: "hpf_app", grants: [HPF_MINIMUM_GRANT] });
  app = await startHpfWithdrawalApp(system);
});

afterAll(async () => {
  await app?.stop();
  await system?.stop();
});

describe("the four demo citizens", () => {
  it("李伟: approved up to 86400.00 on his own loan, collateral his co-owned home; no spouse asked", async () => {
    const { decision } = await apply(LI_WEI);
    expect(decision.outcome).toBe("APPROVED");
    expect(decision.maxAmount).toBe("86400.00");
    expect(decision.approvedAmount).toBe("86400.00");
    expect(answers(decision)).toEqual({ 1: "YES", 2: "YES", 3: "YES", 4: "YES" });
    expect(decision.conditions.map((c: any) => c.agencies)).toEqual([["housing-fund"], ["housing-fund"], ["real-estate"], ["credit"]]);
    expect(decision.spouse).toBeNull();
    expect(decision.receipt).toMatchObject({ verified: true, problems: [] });
  });

  it("王芳: needs her spouse's consent, then approved up to 52300.00 on his loan for the home they co-own", async () => {
    const { visitor, decision } = await apply(WANG_FANG);
    expect(decision.outcome).toBe("NEEDS_SPOUSE_CONSENT");
    expect(decision.approvedAmount).toBeNull();
    const approved = (await visitor.request("/api/spouse-consent", { spouseId: LI_WEI, agree: true })).body;
    expect(approved.outcome).toBe("APPROVED");
    expect(approved.maxAmount).toBe("52300.00");
    expect(answers(approved)).toEqual({ 1: "YES", 2: "YES", 3: "YES", 4: "YES" });
    expect(approved.conditions[1].agencies).toEqual(["housing-fund", "civil-affairs"]);
    expect(approved.spouse).toEqual({ id: LI_WEI, name: "李伟" });
    expect(approved.receipt.verified).toBe(true);
  });

  it("张敏: refused, account SEALED and a dishonest debtor, both shown", async () => {
    const { decision } = await apply(ZHANG_MIN);
    expect(decision.outcome).toBe("REFUSED");
    expect(answers(decision)).toMatchObject({ 1: "NO", 4: "NO" });
    expect(decision.conditions[0].detail).toContain("SEALED");
    expect(decision.reasons.some((r: string) => r.startsWith(decision.conditions[0].title))).toBe(true);
    expect(decision.reasons.some((r: string) => r.startsWith(decision.conditions[3].title))).toBe(true);
    expect(decision.approvedAmount).toBeNull();
  });

  it("赵磊: refused, no housing-fund account", async () => {
    const { decision } = await apply(ZHAO_LEI);
    expect(decision.outcome).toBe("REFUSED");
    expect(answers(decision)[1]).toBe("NO");
    expect(decision.conditions[0].detail).toMatch(/no housing-fund account/);
    expect(decision.approvedAmount).toBeNull();
  });
});

describe("the spouse and the amount", () => {
  it("refuses a consent from someone who is not the spouse in the marriage registry, and decides nothing on it", async () => {
    const { visitor } = await apply(WANG_FANG);
    const wrong = (await visitor.request("/api/spouse-consent", { spouseId: ZHANG_MIN, agree: true })).body;
    expect(wrong.outcome).toBe("SPOUSE_NOT_CONFIRMED");
    expect(wrong.approvedAmount).toBeNull();
    const right = (await visitor.request("/api/spouse-consent", { spouseId: LI_WEI, agree: true })).body;
    expect(right.outcome).toBe("APPROVED");
  });

  it("approves what is asked up to the most allowed, and refuses a malformed amount", async () => {
    expect((await apply(LI_WEI, "50000")).decision).toMatchObject({ outcome: "APPROVED", approvedAmount: "50000.00", maxAmount: "86400.00" });
    expect((await apply(LI_WEI, "90000.00")).decision).toMatchObject({ outcome: "APPROVED", approvedAmount: "86400.00" });
    const visitor = new Visitor(app.url);
    await visitor.signInAndConsent(LI_WEI);
    const bad = await visitor.request("/api/apply", { amount: "1e9" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("BAD_USER_INPUT");
  });

  it("asks nothing before the citizen signs in and consents", async () => {
    const visitor = new Visitor(app.url);
    expect((await visitor.request("/api/apply", { amount: "" })).status).toBe(401);
    await visitor.request("/api/sign-in", { citizenId: LI_WEI });
    expect((await visitor.request("/api/apply", { amount: "" })).body.error.code).toBe("CONSENT_REQUIRED");
  });
});

describe("receipts behind a decision", () => {
  it("name an audit record of the app, its purpose and the fields it was granted", async () => {
    const { decision } = await apply(LI_WEI);
    const record = await system.gateway.audit.database.prisma.auditRecord.findUnique({ where: { seq: BigInt(decision.receipt.seq) } });
    expect(record).not.toBeNull();
    expect(record!.hash).toBe(decision.receipt.hash);
    expect(record).toMatchObject({ app: HPF_APP_ID, purpose: HPF_PURPOSE, outcome: expect.stringMatching(/ALLOWED|PARTIAL/) });
    const claims = JSON.parse(Buffer.from(decision.receipt.jws.split(".")[1], "base64url").toString());
    expect(compareWithAuditRecord(claims, { ...record!, seq: record!.seq.toString(), time: record!.time.toISOString(), citizenPseudonyms: record!.citizens })).toEqual([]);
    expect(decision.fieldsAsked.map((f: any) => f.coordinate).sort()).toEqual([...record!.grantedFields].sort());
  });
});

describe("minimum data", () => {
  it("the app's requests touch exactly the fields the rule needs, with a yes/no verification for credit", async () => {
    // Every path through the rule: the four citizens, the spouse's consent, the access log.
    for (const id of [LI_WEI, ZHANG_MIN, ZHAO_LEI]) await apply(id);
    const { visitor } = await apply(WANG_FANG);
    await visitor.request("/api/spouse-consent", { spouseId: LI_WEI, agree: true });
    await visitor.request("/api/access-log", {});
    const records = await system.gateway.audit.database.prisma.auditRecord.findMany({ where: { app: HPF_APP_ID } });
    const decisions = records.filter((r) => !r.requestedFields.includes("Citizen.accessLog"));
    const logs = records.filter((r) => r.requestedFields.includes("Citizen.accessLog"));
    expect(decisions.length).toBeGreaterThan(0);
    const touched = [...new Set(decisions.flatMap((r) => r.requestedFields))].sort();
    // The spouse is read only with the spouse bound (after the spouse's consent).
    for (const r of decisions) expect({ operation: r.operationName, readsSpouse: r.requestedFields.includes("Citizen.spouse") }).toEqual({ operation: r.operationName, readsSpouse: r.operationName === "HpfLoanRepaymentWithSpouse" });
    expect(new Set(decisions.map((r) => r.operationName))).toEqual(new Set(["HpfLoanRepaymentApplicant", "HpfLoanRepaymentWithSpouse"]));
    // The list, as a reviewer reads it:
    expect(touched).toEqual(Object.keys(RULE_NEEDS).sort());
    expect(touched).not.toContain("Citizen.creditReport");
    expect(touched.some((c) => c.startsWith("CreditReport.") || c.startsWith("IncomeRecord.") || c === "Citizen.name" || c === "Property.address")).toBe(false);
    for (const r of logs) expect(r.requestedFields.filter((c) => !c.startsWith("AccessLogEntry."))).toEqual(expect.arrayContaining(["Query.citizen", ...Object.keys(ACCESS_LOG_NEED)]));
    // Every request was bound to its citizens and named the app's purpose.
    expect(new Set(records.map((r) => r.purpose))).toEqual(new Set([HPF_PURPOSE]));
    expect(records.every((r) => r.citizens.length >= 1 && r.citizens.length <= 2)).toBe(true);
  });
});

describe("the citizen's side", () => {
  it("after the decision, shows which agencies were asked which fields and why, from the access log", async () => {
    const { visitor } = await apply(LI_WEI);
    const log = (await visitor.request("/api/access-log", {})).body;
    expect(log.receipt.verified).toBe(true);
    const ours = log.entries.find((e: any) => e.app === HPF_APP_ID && e.fields.includes("HousingFundAccount.balance"));
    expect(ours).toBeDefined();
    expect(ours.purpose).toBe(HPF_PURPOSE);
    const byAgency = Object.fromEntries(ours.agencies.map((a: any) => [a.agency, a.fields]));
    const housing = Object.entries(byAgency).find(([agency]) => agency.includes("housing-fund"))![1] as Array<{ field: string; why: string }>;
    expect(housing.find((f) => f.field === "HousingFundAccount.balance")!.why).toBe(RULE_NEEDS["HousingFundAccount.balance"]!.why);
    expect(Object.keys(byAgency).some((agency) => agency.includes("credit"))).toBe(true);
  });
});

describe("an agency down", () => {
  it("with the credit agency stopped, the decision is 'cannot decide now', never an approval", async () => {
    const credit = system.subgraphs.get("credit")!;
    await credit.stop();
    system.subgraphs.delete("credit");
    const { decision } = await apply(LI_WEI);
    expect(decision.outcome).toBe("UNDECIDED");
    expect(answers(decision)).toEqual({ 1: "YES", 2: "YES", 3: "YES", 4: "UNKNOWN" });
    expect(decision.approvedAmount).toBeNull();
    expect(decision.maxAmount).toBeNull();
    const wang = await apply(WANG_FANG);
    expect(wang.decision.outcome).toBe("UNDECIDED");
  });
});
