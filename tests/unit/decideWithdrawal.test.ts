/** The loan-repayment withdrawal rule on its own: each condition, the amount, the spouse, and agencies that did not answer. */
import { describe, expect, it } from "vitest";
import { decideWithdrawal, type DecisionInput } from "../../apps/hpf-withdrawal/decideWithdrawal.ts";

const ME = "140105198605150031";
const SPOUSE = "140105198803120028";
const OTHER = "330106197501050017";

const loan = (owners: string[], extra: Record<string, unknown> = {}) => ({
  status: "ACTIVE",
  outstanding: "412000.00",
  collateral: { seized: false, owners: owners.map((id) => ({ owner: { id } })) },
  ...extra,
});

function citizen(overrides: Record<string, unknown> = {}) {
  return { maritalStatus: "SINGLE", housingFundAccount: { status: "ACTIVE", balance: "86400.00", loans: [loan([ME])] }, isDishonestDebtor: false, ...overrides };
}

const decide = (data: Record<string, unknown> | null, extra: Partial<DecisionInput> = {}) =>
  decideWithdrawal({ applicantId: ME, spouseId: null, requested: null, response: { data: data === null ? null : { citizen: data as never } }, ...extra });
const answers = (decision: ReturnType<typeof decide>) => decision.conditions.map((c) => c.answer);

describe("decideWithdrawal", () => {
  it("approves at most the balance and at most the loan's outstanding", () => {
    expect(decide(citizen())).toMatchObject({ outcome: "APPROVED", maxAmount: "86400.00", approvedAmount: "86400.00" });
    const small = citizen({ housingFundAccount: { status: "ACTIVE", balance: "86400.00", loans: [loan([ME], { outstanding: "1200.50" })] } });
    expect(decide(small)).toMatchObject({ outcome: "APPROVED", maxAmount: "1200.50" });
    expect(decide(citizen(), { requested: "100.00" })).toMatchObject({ approvedAmount: "100.00" });
  });

  it("refuses each failing condition by name", () => {
    expect(answers(decide(citizen({ housingFundAccount: null })))).toEqual(["NO", "NO", "NO", "YES"]);
    expect(answers(decide(citizen({ housingFundAccount: { status: "CLOSED", balance: "1.00", loans: [loan([ME])] } })))).toEqual(["NO", "YES", "YES", "YES"]);
    expect(answers(decide(citizen({ housingFundAccount: { status: "ACTIVE", balance: "1.00", loans: [loan([ME], { status: "SETTLED" })] } })))).toEqual(["YES", "NO", "NO", "YES"]);
    expect(answers(decide(citizen({ housingFundAccount: { status: "ACTIVE", balance: "1.00", loans: [loan([OTHER])] } })))).toEqual(["YES", "YES", "NO", "YES"]);
    const seized = loan([ME], { collateral: { seized: true, owners: [{ owner: { id: ME } }] } });
    expect(answers(decide(citizen({ housingFundAccount: { status: "ACTIVE", balance: "1.00", loans: [seized] } })))).toEqual(["YES", "YES", "NO", "YES"]);
    const refused = decide(citizen({ isDishonestDebtor: true }));
    expect(refused.outcome).toBe("REFUSED");
    expect(refused.reasons).toHaveLength(1);
  });

  it("asks for the spouse only when married and the applicant's own loans do not qualify, then counts the spouse's loan", () => {
    const married = citizen({ maritalStatus: "MARRIED", housingFundAccount: { status: "ACTIVE", balance: "52300.00", loans: [] } });
    expect(decide(married).outcome).toBe("NEEDS_SPOUSE_CONSENT");
    expect(decide({ ...married, isDishonestDebtor: true }).outcome).toBe("REFUSED");
    const withSpouse = { ...married, spouse: { id: SPOUSE, housingFundAccount: { loans: [loan([ME, SPOUSE])] } } };
    expect(decide(withSpouse, { spouseId: SPOUSE })).toMatchObject({ outcome: "APPROVED", maxAmount: "52300.00" });
    expect(decide({ ...withSpouse, spouse: null }, { spouseId: SPOUSE, response: { data: { citizen: { ...withSpouse, spouse: null } as never }, errors: [{ path: ["citizen", "spouse"], extensions: { code: "FORBIDDEN" } }] } }).outcome).toBe("SPOUSE_NOT_CONFIRMED");
    expect(decide({ ...withSpouse, spouse: { ...withSpouse.spouse, id: OTHER } }, { spouseId: SPOUSE }).outcome).toBe("SPOUSE_NOT_CONFIRMED");
  });

  it("never approves when an agency did not answer a condition that decides it", () => {
    const creditDown = { data: { citizen: citizen({ isDishonestDebtor: null }) as never }, errors: [{ path: ["citizen", "isDishonestDebtor"], extensions: { code: "SUBGRAPH_UNAVAILABLE" } }] };
    expect(decide(null, { response: creditDown })).toMatchObject({ outcome: "UNDECIDED", approvedAmount: null });
    const registryDown = citizen({ housingFundAccount: { status: "ACTIVE", balance: "1.00", loans: [{ status: "ACTIVE", outstanding: "5.00", collateral: null }] } });
    const response = { data: { citizen: registryDown as never }, errors: [{ path: ["citizen", "housingFundAccount", "loans", 0, "collateral"], extensions: { code: "SUBGRAPH_UNAVAILABLE" } }] };
    expect(decide(null, { response }).outcome).toBe("UNDECIDED");
    // A condition that certainly fails still refuses, whatever else is unknown.
    const sealed = { data: { citizen: citizen({ housingFundAccount: { status: "SEALED", balance: "1.00", loans: [] }, isDishonestDebtor: null }) as never }, errors: creditDown.errors };
    expect(decide(null, { response: sealed }).outcome).toBe("REFUSED");
    // A FORBIDDEN co-owner outside the consent is not a failure: that owner is neither applicant nor spouse.
    const coOwned = { data: { citizen: citizen({ housingFundAccount: { status: "ACTIVE", balance: "9.00", loans: [{ ...loan([ME]), collateral: { seized: false, owners: [{ owner: { id: ME } }, { owner: null }] } }] } }) as never }, errors: [{ path: ["citizen", "housingFundAccount", "loans", 0, "collateral", "owners", 1, "owner"], extensions: { code: "FORBIDDEN" } }] };
    expect(decide(null, { response: coOwned }).outcome).toBe("APPROVED");
  });
});
