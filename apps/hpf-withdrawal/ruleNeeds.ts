/**
 * The fields the loan-repayment withdrawal rule (偿还住房贷款提取) needs, each
 * with the agency that owns it and why the rule reads it: the app's whole
 * data footprint, shown to the citizen before consent and after the
 * decision. The minimum-data test compares the fields the app's requests
 * touch with this list.
 */

export type AgencyName = "civil-affairs" | "housing-fund" | "real-estate" | "credit" | "tax" | "audit";

export const AGENCY_TITLES: Readonly<Record<AgencyName, string>> = {
  "civil-affairs": "民政局 civil affairs (marriage registry)",
  "housing-fund": "住房公积金管理中心 housing-fund centre",
  "real-estate": "不动产登记中心 real-estate registry",
  credit: "信用中心 credit centre",
  tax: "税务局 tax bureau",
  audit: "数据共享网关 gateway audit log",
};

export interface FieldNeed {
  agency: AgencyName;
  why: string;
}

/** Schema coordinate → who owns it and why the rule reads it. */
export const RULE_NEEDS: Readonly<Record<string, FieldNeed>> = {
  "Query.citizen": { agency: "civil-affairs", why: "to find the applicant 找到申请人" },
  "Citizen.id": { agency: "civil-affairs", why: "to tell the applicant and spouse apart from other owners 区分申请人、配偶与其他产权人" },
  "Citizen.housingFundAccount": { agency: "housing-fund", why: "condition 1: the applicant's account 条件1:公积金账户" },
  "HousingFundAccount.status": { agency: "housing-fund", why: "condition 1: the account must be ACTIVE 条件1:账户正常缴存" },
  "HousingFundAccount.balance": { agency: "housing-fund", why: "the amount: at most the balance 提取额不超过余额" },
  "HousingFundAccount.loans": { agency: "housing-fund", why: "condition 2: a housing-fund loan 条件2:公积金贷款" },
  "HousingFundLoan.status": { agency: "housing-fund", why: "condition 2: the loan must be ACTIVE 条件2:贷款未结清" },
  "HousingFundLoan.outstanding": { agency: "housing-fund", why: "the amount: at most the loan's outstanding 提取额不超过贷款余额" },
  "HousingFundLoan.collateral": { agency: "housing-fund", why: "condition 3: the mortgaged home 条件3:抵押房产" },
  "Property.owners": { agency: "real-estate", why: "condition 3: the home is the applicant's or spouse's 条件3:房产归申请人或配偶所有" },
  "Ownership.owner": { agency: "real-estate", why: "condition 3: who owns the home 条件3:产权人" },
  "Property.seized": { agency: "real-estate", why: "condition 3: the home is not seized 条件3:房产未被查封" },
  "Citizen.maritalStatus": { agency: "civil-affairs", why: "condition 2: whether a spouse's loan can count 条件2:是否已婚" },
  "Citizen.spouse": { agency: "civil-affairs", why: "condition 2: the spouse's loan, with consent 条件2:配偶的贷款(经配偶同意)" },
  "Citizen.isDishonestDebtor": { agency: "credit", why: "condition 4: not a dishonest debtor (yes/no only) 条件4:非失信被执行人(仅核验)" },
};

/** Why the app reads the citizen's own access log (shown after the decision). */
export const ACCESS_LOG_NEED: Readonly<Record<string, FieldNeed>> = {
  "Citizen.accessLog": { agency: "audit", why: "to show you who read your data 向您展示谁读取了您的数据" },
};
