/**
 * With the real-estate registry down, a request across all five agencies
 * still gets every other agency's data; the registry's fields come back null
 * with SUBGRAPH_UNAVAILABLE at their own paths, and nothing reveals where
 * the registry lives or why it failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodesByPath, postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";

const ALL_AGENCIES = /* GraphQL */ `
  fragment AllAgencies on Citizen {
    id name gender maritalStatus
    spouse { name }
    housingFundAccount {
      status balance monthlyDeposit
      employer { name creditCode }
      loans { principal outstanding collateral { certificateNumber } }
    }
    housingFundContributedMonths(atLeast: 12)
    properties { certificateNumber city }
    ownsResidentialPropertyIn(city: "太原市")
    incomeRecord(year: 2025) { totalIncome taxPaid }
    incomeAtLeast(year: 2025, amount: "100000.00")
    creditReport { score dishonestDebtor }
    isDishonestDebtor
  }
`;

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "down", withoutAgencies: ["real-estate"] });
});

afterAll(async () => {
  await system?.stop();
});

function expectNoLeak(result: GraphQLResult): void {
  for (const error of result.body.errors ?? []) {
    for (const secret of ["127.0.0.1", "http", "ECONNREFUSED"]) {
      expect(error.message, JSON.stringify(error)).not.toContain(secret);
      expect(JSON.stringify(error.extensions ?? {})).not.toContain(secret);
    }
    expect(JSON.stringify(error.extensions ?? {})).not.toMatch(/stacktrace/i);
  }
}

describe("with the real-estate agency down", () => {
  it("is really running without real-estate", () => {
    expect([...system.subgraphs.keys()].sort()).toEqual(["civil-affairs", "credit", "housing-fund", "tax"]);
  });

  it("still answers 李伟 from the other four agencies in one request", async () => {
    const result = await postGraphQL(system.gatewayUrl, `query($id: ID!) { citizen(id: $id) { ...AllAgencies } } ${ALL_AGENCIES}`, { id: LI_WEI });
    expect(result.status).toBe(200);
    const c = result.body.data.citizen;
    expect(c).toMatchObject({ id: LI_WEI, name: "李伟", gender: "MALE", maritalStatus: "MARRIED", spouse: { name: "王芳" } });
    expect(c.housingFundAccount).toMatchObject({
      status: "ACTIVE",
      balance: "86400.00",
      monthlyDeposit: "1860.00",
      employer: { name: "山西晋阳数据科技有限公司", creditCode: "91140100MA0GRX1A1J" },
    });
    // The collateral's key is housing-fund's own data: no registry needed.
    expect(c.housingFundAccount.loans).toEqual([
      { principal: "600000.00", outstanding: "412000.00", collateral: { certificateNumber: "晋(2016)太原市不动产权第0012345号" } },
    ]);
    expect(c.housingFundContributedMonths).toBe(true);
    expect(c.incomeRecord).toEqual({ totalIncome: "186000.00", taxPaid: "9480.00" });
    expect(c.incomeAtLeast).toBe(true);
    expect(c.creditReport).toEqual({ score: 742, dishonestDebtor: false });
    expect(c.isDishonestDebtor).toBe(false);

    expect(c.properties).toBeNull();
    expect(c.ownsResidentialPropertyIn).toBeNull();
    expect(errorCodesByPath(result)).toEqual({
      "citizen.properties": "SUBGRAPH_UNAVAILABLE",
      "citizen.ownsResidentialPropertyIn": "SUBGRAPH_UNAVAILABLE",
    });
    const paths = result.body.errors!.map((e) => e.path);
    expect(paths).toContainEqual(["citizen", "properties"]);
    expect(paths).toContainEqual(["citizen", "ownsResidentialPropertyIn"]);
    expectNoLeak(result);
  });

  it("puts the errors at each citizen's own paths in citizens(ids:)", async () => {
    const result = await postGraphQL(
      system.gatewayUrl,
      `query($ids: [ID!]!) { citizens(ids: $ids) { ...AllAgencies } } ${ALL_AGENCIES}`,
      { ids: [LI_WEI, WANG_FANG] },
    );
    const [li, wang] = result.body.data.citizens;
    expect(li).toMatchObject({ name: "李伟", properties: null, ownsResidentialPropertyIn: null, creditReport: { score: 742 } });
    expect(wang).toMatchObject({ name: "王芳", properties: null, ownsResidentialPropertyIn: null, creditReport: { score: 768 } });
    expect(wang.housingFundAccount.balance).toBe("52300.00");
    expect(errorCodesByPath(result)).toEqual({
      "citizens.0.properties": "SUBGRAPH_UNAVAILABLE",
      "citizens.0.ownsResidentialPropertyIn": "SUBGRAPH_UNAVAILABLE",
      "citizens.1.properties": "SUBGRAPH_UNAVAILABLE",
      "citizens.1.ownsResidentialPropertyIn": "SUBGRAPH_UNAVAILABLE",
    });
    expectNoLeak(result);
  });

  it("fails only the registry's fields of a loan's collateral", async () => {
    const result = await postGraphQL(
      system.gatewayUrl,
      `query($id: ID!) { citizen(id: $id) { name housingFundAccount { balance loans { collateral { certificateNumber city deedTaxPaid } } } } }`,
      { id: LI_WEI },
    );
    const c = result.body.data.citizen;
    expect(c.name).toBe("李伟");
    expect(c.housingFundAccount.balance).toBe("86400.00");
    const collateral = c.housingFundAccount.loans[0].collateral;
    expect(collateral.city ?? null).toBeNull();
    // Deed tax is the tax bureau's datum and the tax bureau is up.
    expect(collateral.deedTaxPaid).toBe("13425.00");
    const codes = errorCodesByPath(result);
    expect(codes["citizen.housingFundAccount.loans.0.collateral.city"]).toBe("SUBGRAPH_UNAVAILABLE");
    expect(Object.values(codes).every((code) => code === "SUBGRAPH_UNAVAILABLE")).toBe(true);
    expectNoLeak(result);
  });

  it("answers a request that needs no registry field without errors", async () => {
    const result = await postGraphQL(system.gatewayUrl, `query($id: ID!) { citizen(id: $id) { name creditReport { score } } }`, { id: LI_WEI });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizen).toEqual({ name: "李伟", creditReport: { score: 742 } });
  });

  it("stays healthy itself", async () => {
    const response = await fetch(system.gatewayUrl.replace(/\/graphql$/, "/health"));
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });
});
