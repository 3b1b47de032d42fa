import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCatalog, type Catalog } from "../../gateway/governance/readCatalog.ts";
import { STANDARD_SCOPES } from "../support/standardScopes.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const catalog = readCatalog(readFileSync(`${ROOT}/schema/supergraph.graphql`, "utf8"));

/** The data standard's field tables: owner, scope (null: authenticated) and level, where the standard gives one. */
const STANDARD: Record<string, [agency: string, scope: string | null, level?: string]> = {
  "Query.citizen": ["civil-affairs", null, "L2"],
  "Query.citizens": ["civil-affairs", null, "L2"],
  "Citizen.id": ["civil-affairs", null, "L2"],
  "Citizen.name": ["civil-affairs", "civil-affairs:identity", "L3"],
  "Citizen.gender": ["civil-affairs", "civil-affairs:identity", "L3"],
  "Citizen.birthDate": ["civil-affairs", "civil-affairs:identity", "L3"],
  "Citizen.maritalStatus": ["civil-affairs", "civil-affairs:marriage", "L3"],
  "Citizen.marriageRecords": ["civil-affairs", "civil-affairs:marriage", "L3"],
  "Citizen.spouse": ["civil-affairs", "civil-affairs:marriage", "L3"],
  "MarriageRecord.kind": ["civil-affairs", "civil-affairs:marriage"],
  "MarriageRecord.registeredOn": ["civil-affairs", "civil-affairs:marriage"],
  "MarriageRecord.registryOffice": ["civil-affairs", "civil-affairs:marriage"],
  "MarriageRecord.partner": ["civil-affairs", "civil-affairs:marriage"],
  "Citizen.housingFundAccount": ["housing-fund", "housing-fund:account", "L3"],
  "HousingFundAccount.accountNumber": ["housing-fund", "housing-fund:account"],
  "HousingFundAccount.status": ["housing-fund", "housing-fund:account"],
  "HousingFundAccount.employer": ["housing-fund", "housing-fund:account"],
  "HousingFundAccount.openedOn": ["housing-fund", "housing-fund:account"],
  "HousingFundAccount.monthlyDeposit": ["housing-fund", "housing-fund:account"],
  "HousingFundAccount.balance": ["housing-fund", "housing-fund:balance", "L4"],
  "HousingFundAccount.contributions": ["housing-fund", "housing-fund:balance", "L4"],
  "HousingFundAccount.loans": ["housing-fund", "housing-fund:loan", "L4"],
  "Citizen.housingFundContributedMonths": ["housing-fund", "housing-fund:verify", "L2"],
  "Citizen.properties": ["real-estate", "real-estate:property", "L3"],
  "Property.certificateNumber": ["real-estate", "real-estate:property"],
  "Property.city": ["real-estate", "real-estate:property"],
  "Property.district": ["real-estate", "real-estate:property"],
  "Property.address": ["real-estate", "real-estate:property"],
  "Property.usage": ["real-estate", "real-estate:property"],
  "Property.floorArea": ["real-estate", "real-estate:property"],
  "Property.registeredOn": ["real-estate", "real-estate:property"],
  "Property.owners": ["real-estate", "real-estate:property"],
  "Property.seized": ["real-estate", "real-estate:property"],
  "Property.mortgages": ["real-estate", "real-estate:mortgage", "L4"],
  "Citizen.ownsResidentialPropertyIn": ["real-estate", "real-estate:verify", "L2"],
  "Citizen.incomeRecord": ["tax", "tax:income", "L4"],
  "Property.deedTaxPaid": ["tax", "tax:property", "L3"],
  "Citizen.incomeAtLeast": ["tax", "tax:verify", "L2"],
  "Citizen.creditReport": ["credit", "credit:report", "L4"],
  "Citizen.isDishonestDebtor": ["credit", "credit:verify", "L2"],
};

function entry(c: Catalog, coordinate: string) {
  return c.fields.find((f) => f.coordinate === coordinate);
}

describe("data catalog (数据目录)", () => {
  it("lists every field of the standard with its owner, scope and level, and the class the level implies", () => {
    for (const [coordinate, [agency, scope, level]] of Object.entries(STANDARD)) {
      const field = entry(catalog, coordinate);
      expect(field, coordinate).toBeDefined();
      expect({ coordinate, agency: field!.agency, scope: field!.scope }).toEqual({ coordinate, agency, scope });
      if (level) expect({ coordinate, level: field!.level }).toEqual({ coordinate, level });
      expect(field!.sharing).toBe(field!.level === "L1" || field!.level === "L2" ? "UNCONDITIONAL" : "CONDITIONAL");
      expect(field!.description, coordinate).toMatch(/\S/);
    }
  });

  it("classes each scope of the standard: verification scopes unconditional, the rest conditional", () => {
    expect(catalog.scopes.map((s) => s.scope)).toEqual(STANDARD_SCOPES);
    for (const scope of catalog.scopes) {
      expect({ scope: scope.scope, sharing: scope.sharing }).toEqual({ scope: scope.scope, sharing: scope.scope.endsWith(":verify") ? "UNCONDITIONAL" : "CONDITIONAL" });
      expect(scope.agency).toBe(scope.scope.split(":")[0]);
    }
  });

  it("holds no audit or governance field (not agency data)", () => {
    expect(catalog.fields.map((f) => f.coordinate)).not.toContain("Query.auditRecords");
    expect(catalog.agencies).toEqual(["civil-affairs", "credit", "housing-fund", "real-estate", "tax"]);
  });

  it("npm run catalog prints the same catalog as JSON and as Markdown", () => {
    const run = (flag: string) => execFileSync(process.execPath, ["--import", "tsx", "scripts/catalog.ts", flag], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(run("--json"))).toEqual(JSON.parse(JSON.stringify(catalog)));
    const markdown = run("--markdown");
    expect(markdown).toContain("| `Citizen.incomeRecord(year: Int!)` | `IncomeRecord` | L4 | CONDITIONAL | `tax:income` |");
    expect(markdown).toContain("## credit");
  });
});
