/** Every scope of the data standard's field tables, as an app team would list them. */
export const STANDARD_SCOPES = [
  "civil-affairs:identity",
  "civil-affairs:marriage",
  "credit:report",
  "credit:verify",
  "housing-fund:account",
  "housing-fund:balance",
  "housing-fund:loan",
  "housing-fund:verify",
  "real-estate:mortgage",
  "real-estate:property",
  "real-estate:verify",
  "tax:income",
  "tax:property",
  "tax:verify",
];
