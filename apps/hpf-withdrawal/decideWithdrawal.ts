/**
 * The rule for withdrawing to repay a home loan (偿还住房贷款提取), as a pure
 * function of the gateway's answer. All four conditions must hold:
 * 1. the applicant's housing-fund account is ACTIVE;
 * 2. the applicant or their spouse (per the marriage registry) has an ACTIVE housing-fund loan;
 * 3. that loan's collateral is owned by the applicant or the spouse and is not seized;
 * 4. the applicant is not a dishonest debtor.
 * The amount is at most the balance and at most that loan's outstanding.
 * A condition an agency could not answer is UNKNOWN: the decision is then
 * "cannot decide now", never an approval.
 */
import { centsToMoney, isMoney, moneyToCents } from "../../platform/standard/money.ts";
import type { AgencyName } from "./ruleNeeds.ts";

export type Answer = "YES" | "NO" | "UNKNOWN";

export interface Condition {
  id: 1 | 2 | 3 | 4;
  title: string;
  answer: Answer;
  /** What the agencies said, in words. */
  detail: string;
  /** The agencies whose answers decided it. */
  agencies: AgencyName[];
}

export type Outcome =
  /** Every condition holds. */
  | "APPROVED"
  /** A condition does not hold (each failing one is listed). */
  | "REFUSED"
  /** An agency did not answer a condition that decides it: try later. */
  | "UNDECIDED"
  /** Only the spouse's loan could satisfy conditions 2 and 3: the spouse must consent first. */
  | "NEEDS_SPOUSE_CONSENT"
  /** The person who consented as spouse is not the spouse in the marriage registry. */
  | "SPOUSE_NOT_CONFIRMED";

export interface Decision {
  outcome: Outcome;
  conditions: Condition[];
  /** The most that may be withdrawn, when approved. */
  maxAmount: string | null;
  /** What is approved: the amount asked for, capped at maxAmount. */
  approvedAmount: string | null;
  /** Why not approved, one line per failing or unknown condition. */
  reasons: string[];
}

interface GraphQLError {
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string };
}

interface Loan {
  status: string | null;
  outstanding: string | null;
  collateral: { seized: boolean | null; owners: Array<{ owner: { id: string } | null } | null> | null } | null;
}

interface CitizenAnswer {
  maritalStatus?: string | null;
  housingFundAccount?: { status: string | null; balance: string | null; loans: Loan[] | null } | null;
  isDishonestDebtor?: boolean | null;
  spouse?: { id: string; housingFundAccount: { loans: Loan[] | null } | null } | null;
}

export interface DecisionInput {
  applicantId: string;
  /** The spouse who consented (null: not asked, or none). */
  spouseId: string | null;
  /** The gateway's response to APPLICANT_CHECK or APPLICANT_AND_SPOUSE_CHECK. */
  response: { data?: { citizen: CitizenAnswer | null } | null; errors?: GraphQLError[] };
  /** The amount asked for (Money); null: as much as allowed. */
  requested: string | null;
}

const TITLES = {
  1: "公积金账户正常 The housing-fund account is ACTIVE",
  2: "本人或配偶有未结清的公积金贷款 The applicant or spouse has an ACTIVE housing-fund loan",
  3: "抵押房产归本人或配偶所有且未被查封 The loan's collateral is the applicant's or spouse's and not seized",
  4: "非失信被执行人 Not a dishonest debtor",
} as const;

/** Whether an agency failed somewhere under `prefix` (a FORBIDDEN owner outside the consent is not a failure: that owner is neither applicant nor spouse). */
function failedUnder(errors: GraphQLError[], prefix: Array<string | number>): boolean {
  return errors.some((error) => {
    const path = error.path ?? [];
    if (!prefix.every((part, i) => path[i] === part)) return false;
    return !(error.extensions?.code === "FORBIDDEN" && path.includes("owners"));
  });
}

export function decideWithdrawal(input: DecisionInput): Decision {
  const errors = input.response.errors ?? [];
  const citizen = input.response.data?.citizen ?? null;
  const base = ["citizen"];
  const condition = (id: Condition["id"], answer: Answer, detail: string, agencies: AgencyName[]): Condition => ({ id, title: TITLES[id], answer, detail, agencies });

  if (!citizen) {
    const conditions = ([1, 2, 3, 4] as const).map((id) => condition(id, "UNKNOWN", "申请人信息暂不可得 the applicant could not be read", []));
    return finish(conditions, errors.length > 0 ? "UNDECIDED" : "REFUSED", null, input.requested);
  }

  // 1. The account.
  const account = citizen.housingFundAccount ?? null;
  const accountFailed = failedUnder(errors, [...base, "housingFundAccount"]);
  let c1: Condition;
  if (!account) c1 = accountFailed ? condition(1, "UNKNOWN", "公积金中心暂未应答 the housing-fund centre did not answer", ["housing-fund"]) : condition(1, "NO", "无公积金账户 no housing-fund account", ["housing-fund"]);
  else if (account.status === null) c1 = condition(1, "UNKNOWN", "账户状态暂不可得 account status unavailable", ["housing-fund"]);
  else c1 = condition(1, account.status === "ACTIVE" ? "YES" : "NO", `账户状态 account status: ${account.status}`, ["housing-fund"]);

  // 2 and 3. The loans of the applicant and of the consenting spouse.
  const owners = new Set([input.applicantId, ...(input.spouseId ? [input.spouseId] : [])]);
  const spouseAsked = input.spouseId !== null;
  if (spouseAsked) {
    const spouse = citizen.spouse ?? null;
    if (failedUnder(errors, [...base, "spouse"]) && !spouse && !errors.some((e) => e.extensions?.code === "FORBIDDEN" && e.path?.join(".") === "citizen.spouse")) {
      // The marriage registry did not answer: whether there is a spouse is unknown.
      const c2 = condition(2, "UNKNOWN", "婚姻登记信息暂不可得 the marriage registry did not answer", ["civil-affairs"]);
      const c3 = condition(3, "UNKNOWN", "依赖条件2 depends on condition 2", ["real-estate"]);
      return finish([c1, c2, c3, dishonest(citizen, errors, condition)], "UNDECIDED", null, input.requested);
    }
    if (!spouse || spouse.id !== input.spouseId) {
      const c2 = condition(2, "UNKNOWN", "同意人不是婚姻登记的配偶 the person who consented is not the registered spouse", ["civil-affairs"]);
      return { outcome: "SPOUSE_NOT_CONFIRMED", conditions: [c1, c2], maxAmount: null, approvedAmount: null, reasons: [c2.detail] };
    }
  }
  const sources: Array<{ loans: Loan[]; failed: boolean; whose: string; path: Array<string | number> }> = [
    { loans: account?.loans ?? [], failed: accountFailed || (account !== null && account.loans === null), whose: "本人 own", path: [...base, "housingFundAccount", "loans"] },
  ];
  if (spouseAsked) {
    const spouseAccount = citizen.spouse?.housingFundAccount ?? null;
    const failed = failedUnder(errors, [...base, "spouse", "housingFundAccount"]);
    sources.push({ loans: spouseAccount?.loans ?? [], failed: failed || (spouseAccount !== null && spouseAccount.loans === null), whose: "配偶 spouse's", path: [...base, "spouse", "housingFundAccount", "loans"] });
  }
  const active = sources.flatMap((source) => source.loans.map((loan, index) => ({ loan, source, path: [...source.path, index] })).filter(({ loan }) => loan.status === "ACTIVE"));
  const loansUnknown = sources.some((source) => source.failed);
  const agencies2: AgencyName[] = spouseAsked ? ["housing-fund", "civil-affairs"] : ["housing-fund"];
  let c2: Condition;
  if (active.length > 0) c2 = condition(2, "YES", active.map(({ source, loan }) => `${source.whose}贷款 loan ACTIVE, outstanding ${loan.outstanding}`).join("; "), agencies2);
  else if (loansUnknown) c2 = condition(2, "UNKNOWN", "贷款信息暂不可得 loan data unavailable", agencies2);
  else c2 = condition(2, "NO", spouseAsked ? "本人及配偶均无未结清的公积金贷款 no ACTIVE loan of the applicant or spouse" : "无未结清的公积金贷款 no ACTIVE housing-fund loan", agencies2);

  const qualifying: Loan[] = [];
  let collateralUnknown = false;
  const collateralNotes: string[] = [];
  for (const { loan, source, path } of active) {
    const collateral = loan.collateral;
    if (!collateral || collateral.seized === null || collateral.owners === null || failedUnder(errors, [...path, "collateral"])) {
      collateralUnknown = true;
      continue;
    }
    const owned = collateral.owners.some((ownership) => ownership?.owner && owners.has(ownership.owner.id));
    if (owned && collateral.seized === false) {
      qualifying.push(loan);
      const byApplicant = collateral.owners.some((ownership) => ownership?.owner?.id === input.applicantId);
      const joint = collateral.owners.length > 1 ? "共有 co-owned" : "独有 solely owned";
      collateralNotes.push(`${source.whose}贷款的抵押房产为${byApplicant ? "本人" : "配偶"}${joint}、未被查封 (collateral of the ${source.whose.split(" ")[1]} loan, ${byApplicant ? "applicant's" : "spouse's"}, not seized)`);
    } else collateralNotes.push(!owned ? "抵押房产不归本人或配偶所有 collateral not owned by the applicant or spouse" : "抵押房产已被查封 collateral seized");
  }
  let c3: Condition;
  if (qualifying.length > 0) c3 = condition(3, "YES", collateralNotes.join("; "), ["real-estate"]);
  else if (collateralUnknown || (c2.answer === "UNKNOWN")) c3 = condition(3, "UNKNOWN", "不动产信息暂不可得 real-estate data unavailable", ["real-estate"]);
  else if (active.length === 0) c3 = condition(3, "NO", "无可核验的贷款抵押房产 no loan collateral to check", ["real-estate"]);
  else c3 = condition(3, "NO", collateralNotes.join("; "), ["real-estate"]);

  const c4 = dishonest(citizen, errors, condition);
  const conditions = [c1, c2, c3, c4];

  // Married, no own qualifying loan, spouse not asked yet: the spouse's loan may count.
  const spouseMayHelp = !spouseAsked && citizen.maritalStatus === "MARRIED" && qualifying.length === 0;
  if (spouseMayHelp && !conditions.some((c) => c.answer === "NO" && c.id !== 2 && c.id !== 3)) {
    if (conditions.some((c) => c.answer === "UNKNOWN" && c.id !== 2 && c.id !== 3)) return finish(conditions, "UNDECIDED", null, input.requested);
    const pending = conditions.map((c) => (c.id === 2 || c.id === 3 ? { ...c, answer: "UNKNOWN" as const, detail: `${c.detail}; 需配偶同意后核验配偶贷款 the spouse's loan needs the spouse's consent` } : c));
    return { outcome: "NEEDS_SPOUSE_CONSENT", conditions: pending, maxAmount: null, approvedAmount: null, reasons: ["需要配偶同意 the spouse must consent"] };
  }
  if (conditions.some((c) => c.answer === "NO")) return finish(conditions, "REFUSED", null, input.requested);
  if (conditions.some((c) => c.answer === "UNKNOWN")) return finish(conditions, "UNDECIDED", null, input.requested);

  // The amount: at most the balance and at most the qualifying loan's outstanding.
  const balance = account?.balance ?? null;
  const outstanding = qualifying.map((loan) => loan.outstanding).filter(isMoney).map(moneyToCents);
  if (!isMoney(balance) || outstanding.length === 0) return finish(conditions, "UNDECIDED", null, input.requested);
  const largest = outstanding.reduce((a, b) => (a > b ? a : b));
  const max = moneyToCents(balance) < largest ? moneyToCents(balance) : largest;
  return finish(conditions, "APPROVED", centsToMoney(max), input.requested);
}

function dishonest(citizen: CitizenAnswer, errors: GraphQLError[], condition: (id: 4, answer: Answer, detail: string, agencies: AgencyName[]) => Condition): Condition {
  const value = citizen.isDishonestDebtor;
  if (value === null || value === undefined || failedUnder(errors, ["citizen", "isDishonestDebtor"])) return condition(4, "UNKNOWN", "信用中心暂未应答 the credit centre did not answer", ["credit"]);
  return value ? condition(4, "NO", "列入失信被执行人名单 on the dishonest-debtor list", ["credit"]) : condition(4, "YES", "未列入失信被执行人名单 not on the dishonest-debtor list", ["credit"]);
}

function finish(conditions: Condition[], outcome: Outcome, maxAmount: string | null, requested: string | null): Decision {
  const reasons = conditions.filter((c) => c.answer !== "YES").map((c) => `${c.title}: ${c.detail}`);
  if (outcome !== "APPROVED" || maxAmount === null) return { outcome, conditions, maxAmount: null, approvedAmount: null, reasons: outcome === "UNDECIDED" ? ["暂时无法决定,请稍后再试 cannot decide now, try later", ...reasons] : reasons };
  const approved = requested !== null && isMoney(requested) && moneyToCents(requested) < moneyToCents(maxAmount) ? requested : maxAmount;
  return { outcome, conditions, maxAmount, approvedAmount: approved, reasons: [] };
}
