/**
 * The only operations the app sends (its safelist): the applicant's own
 * check, the check with the consenting spouse, and the citizen's access log.
 * Each reads what the rule needs and nothing else (see ruleNeeds.ts).
 */

const LOANS = `loans { status outstanding collateral { seized owners { owner { id } } } }`;

/** With a token bound to the applicant only. */
export const APPLICANT_CHECK = `query HpfLoanRepaymentApplicant($id: ID!) {
  citizen(id: $id) {
    maritalStatus
    housingFundAccount { status balance ${LOANS} }
    isDishonestDebtor
  }
}`;

/** With a token bound to the applicant and the spouse who consented. */
export const APPLICANT_AND_SPOUSE_CHECK = `query HpfLoanRepaymentWithSpouse($id: ID!) {
  citizen(id: $id) {
    maritalStatus
    housingFundAccount { status balance ${LOANS} }
    isDishonestDebtor
    spouse { id housingFundAccount { ${LOANS} } }
  }
}`;

/** With a token bound to the citizen alone (scope self:access-log). */
export const ACCESS_LOG = `query HpfMyAccessLog($id: ID!) {
  citizen(id: $id) { accessLog(first: 20) { time app purpose fields outcome } }
}`;

export const OPERATIONS = [APPLICANT_CHECK, APPLICANT_AND_SPOUSE_CHECK, ACCESS_LOG] as const;
