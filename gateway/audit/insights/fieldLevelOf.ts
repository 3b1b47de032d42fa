/**
 * The classification level (L1 public … L4 sensitive personal) of a field
 * coordinate as the audit log records it, from the data standard's tables
 * (shared/DATA-STANDARD.md). A field the standard gives no level of its own
 * (e.g. `HousingFundAccount.status`) has the level of the field that leads to
 * its type; an unknown coordinate counts as L2, the standard's level for the
 * authenticated minimum. When the SDL carries the catalog's levels, this
 * table gives way to them.
 */
export type FieldLevel = "L1" | "L2" | "L3" | "L4";

export const FIELD_LEVELS: readonly FieldLevel[] = ["L1", "L2", "L3", "L4"];

const FIELDS: Record<string, FieldLevel> = {
  "Query.citizen": "L2",
  "Query.citizens": "L2",
  "Citizen.id": "L2",
  "Citizen.name": "L3",
  "Citizen.gender": "L3",
  "Citizen.birthDate": "L3",
  "Citizen.maritalStatus": "L3",
  "Citizen.marriageRecords": "L3",
  "Citizen.spouse": "L3",
  "Citizen.housingFundAccount": "L3",
  "HousingFundAccount.balance": "L4",
  "HousingFundAccount.contributions": "L4",
  "HousingFundAccount.loans": "L4",
  "Citizen.housingFundContributedMonths": "L2",
  "Citizen.properties": "L3",
  "Property.mortgages": "L4",
  "Citizen.ownsResidentialPropertyIn": "L2",
  "Citizen.incomeRecord": "L4",
  "Property.deedTaxPaid": "L3",
  "Citizen.incomeAtLeast": "L2",
  "Citizen.creditReport": "L4",
  "Citizen.isDishonestDebtor": "L2",
};

/** Types whose unlisted fields take the level of the field that leads to them. */
const TYPES: Record<string, FieldLevel> = {
  MarriageRecord: "L3",
  HousingFundAccount: "L3",
  Employer: "L3",
  Contribution: "L4",
  HousingFundLoan: "L4",
  Property: "L3",
  Ownership: "L3",
  Mortgage: "L4",
  IncomeRecord: "L4",
  CreditReport: "L4",
};

export function fieldLevelOf(coordinate: string): FieldLevel {
  return FIELDS[coordinate] ?? TYPES[coordinate.slice(0, coordinate.indexOf("."))] ?? "L2";
}
