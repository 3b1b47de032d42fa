/**
 * The standard's four demo citizens, read through the gateway over HTTP in one
 * request each, with fields from all five agencies; and the root fields'
 * input validation, the verification fields and the HTTP surface.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residentIdCheckCharacter } from "../../platform/standard/residentId.ts";
import { generatedCitizenId } from "../../subgraphs/shared/syntheticPopulation.ts";
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
const ZHANG_MIN = "330106197501050017";
const ZHAO_LEI = "14010519650909005X";
const TAIYUAN_HOME = "晋(2016)太原市不动产权第0012345号";

/** A valid id that no seeded citizen has. */
const UNKNOWN_ID = "11010119900101001" + residentIdCheckCharacter("11010119900101001");

/** One request, five agencies. */
const CITIZEN_QUERY = /* GraphQL */ `
  query Citizen($id: ID!) {
    citizen(id: $id) {
      id name gender birthDate maritalStatus
      spouse { id name }
      marriageRecords { kind registeredOn registryOffice partner { id name } }
      housingFundAccount {
        accountNumber status openedOn monthlyDeposit balance
        employer { name creditCode }
        contributions(last: 3) { month amount }
        loans {
          loanNumber principal outstanding status
          collateral {
            certificateNumber city district floorArea usage registeredOn seized deedTaxPaid
            owners { share owner { id name } }
            mortgages { mortgagee amount registeredOn releasedOn }
          }
        }
      }
      housingFundContributedMonths(atLeast: 12)
      properties {
        certificateNumber city district address usage floorArea registeredOn seized deedTaxPaid
        owners { share owner { id name } }
        mortgages { mortgagee amount registeredOn releasedOn }
      }
      incomeRecord(year: 2025) { year totalIncome taxPaid }
      creditReport { score rating dishonestDebtor overdueAccounts updatedOn }
      isDishonestDebtor
    }
  }
`;

/** Fields of type Money (or Money!) anywhere in the standard. */
const MONEY_FIELDS = new Set(["monthlyDeposit", "balance", "amount", "principal", "outstanding", "totalIncome", "taxPaid", "deedTaxPaid"]);

/** Every Money value in `data`, with its path. */
function moneyValues(data: unknown, path = ""): Array<[string, unknown]> {
  if (Array.isArray(data)) return data.flatMap((item, i) => moneyValues(item, `${path}.${i}`));
  if (data === null || typeof data !== "object") return [];
  return Object.entries(data).flatMap(([key, value]): Array<[string, unknown]> =>
    MONEY_FIELDS.has(key) && value !== null ? [[`${path}.${key}`, value]] : moneyValues(value, `${path}.${key}`),
  );
}

let system: System;

/** Posts to the gateway; no error of any response may carry a stack trace. */
async function gql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
  const result = await postGraphQL(system.gatewayUrl, query, variables);
  expectNoStacktrace(result);
  return result;
}

function expectNoStacktrace(result: GraphQLResult): void {
  for (const error of result.body.errors ?? []) expect(JSON.stringify(error.extensions ?? {})).not.toMatch(/stacktrace/i);
}

async function citizen(id: string): Promise<any> {
  const result = await gql(CITIZEN_QUERY, { id });
  expect(result.status).toBe(200);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.citizen;
}

/** The one error of a refused request: BAD_USER_INPUT naming the bad value. */
function expectBadUserInput(result: GraphQLResult, badValue?: string): void {
  const errors = result.body.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.map((e) => e.extensions?.code)).toContain("BAD_USER_INPUT");
  if (badValue !== undefined) {
    expect(errors.some((e) => e.extensions?.code === "BAD_USER_INPUT" && e.message.includes(badValue))).toBe(true);
  }
}

beforeAll(async () => {
  // Each verification variant below is asked once per citizen; the budget of distinct
  // arguments (VERIFY_DISTINCT_ARGS) is the security suite's subject, not this one's.
  system = await startSystem({ suite: "demo", gateway: { verifyDistinctArguments: 10 } });
});

afterAll(async () => {
  await system?.stop();
});

describe("the demo citizens through the gateway, one request each", () => {
  it("李伟: identity, marriage, housing fund, loan, home, income and credit", async () => {
    const c = await citizen(LI_WEI);
    expect(c).toMatchObject({ id: LI_WEI, name: "李伟", gender: "MALE", birthDate: "1986-05-15", maritalStatus: "MARRIED" });
    expect(c.spouse).toEqual({ id: WANG_FANG, name: "王芳" });
    expect(c.marriageRecords).toEqual([
      { kind: "MARRIAGE", registeredOn: "2014-05-20", registryOffice: "太原市小店区婚姻登记处", partner: { id: WANG_FANG, name: "王芳" } },
    ]);

    const account = c.housingFundAccount;
    expect(account).toMatchObject({
      status: "ACTIVE",
      employer: { name: "山西晋阳数据科技有限公司", creditCode: "91140100MA0GRX1A1J" },
      monthlyDeposit: "1860.00",
      balance: "86400.00",
    });
    expect(account.contributions).toHaveLength(3);
    const months = account.contributions.map((x: { month: string }) => x.month);
    expect(months).toEqual([...months].sort().reverse()); // newest first
    expect(account.loans).toHaveLength(1);
    const [loan] = account.loans;
    expect(loan).toMatchObject({ status: "ACTIVE", principal: "600000.00", outstanding: "412000.00" });
    expect(loan.collateral.certificateNumber).toBe(TAIYUAN_HOME);

    // The collateral, resolved by the registry (and tax) through the housing-fund loan.
    expectTaiyuanHome(loan.collateral);
    expect(c.housingFundContributedMonths).toBe(true);

    expect(c.properties).toHaveLength(1);
    expect(c.properties[0].certificateNumber).toBe(TAIYUAN_HOME);
    expectTaiyuanHome(c.properties[0]);

    expect(c.incomeRecord).toEqual({ year: 2025, totalIncome: "186000.00", taxPaid: "9480.00" });
    expect(c.creditReport).toMatchObject({ score: 742, dishonestDebtor: false });
    expect(c.isDishonestDebtor).toBe(false);
  });

  function expectTaiyuanHome(home: any): void {
    expect(home).toMatchObject({
      city: "太原市",
      district: "小店区",
      floorArea: 89.5,
      usage: "RESIDENTIAL",
      registeredOn: "2016-03-08",
      seized: false,
      deedTaxPaid: "13425.00",
    });
    expect(home.owners).toHaveLength(2);
    expect(home.owners).toEqual(
      expect.arrayContaining([
        { share: 0.5, owner: { id: LI_WEI, name: "李伟" } },
        { share: 0.5, owner: { id: WANG_FANG, name: "王芳" } },
      ]),
    );
    expect(home.mortgages).toHaveLength(1);
    expect(home.mortgages[0]).toMatchObject({ mortgagee: "太原市住房公积金管理中心", amount: "600000.00" });
  }

  it("王芳: married to 李伟, co-owner of the same home", async () => {
    const c = await citizen(WANG_FANG);
    expect(c).toMatchObject({ id: WANG_FANG, name: "王芳", gender: "FEMALE", maritalStatus: "MARRIED" });
    expect(c.spouse).toEqual({ id: LI_WEI, name: "李伟" });
    expect(c.housingFundAccount).toMatchObject({ status: "ACTIVE", balance: "52300.00" });
    expect(c.properties.map((p: { certificateNumber: string }) => p.certificateNumber)).toEqual([TAIYUAN_HOME]);
    expectTaiyuanHome(c.properties[0]);
    expect(c.incomeRecord).toMatchObject({ year: 2025, totalIncome: "124000.00" });
    expect(c.creditReport.score).toBe(768);
    expect(c.isDishonestDebtor).toBe(false);
  });

  it("张敏: divorced, sealed account, two properties in 杭州市 one seized, dishonest debtor", async () => {
    const c = await citizen(ZHANG_MIN);
    expect(c).toMatchObject({ id: ZHANG_MIN, name: "张敏", gender: "MALE", maritalStatus: "DIVORCED", spouse: null });
    expect(c.marriageRecords.map((r: { kind: string; registeredOn: string }) => [r.kind, r.registeredOn])).toEqual([
      ["MARRIAGE", "2003-10-01"],
      ["DIVORCE", "2019-06-18"],
    ]);
    expect(c.housingFundAccount).toMatchObject({ status: "SEALED", balance: "12000.00" });
    expect(c.properties).toHaveLength(2);
    expect(c.properties.map((p: { city: string }) => p.city)).toEqual(["杭州市", "杭州市"]);
    expect(c.properties.filter((p: { seized: boolean }) => p.seized)).toHaveLength(1);
    expect(c.incomeRecord).toMatchObject({ year: 2025, totalIncome: "310000.00" });
    expect(c.creditReport).toMatchObject({ score: 420, dishonestDebtor: true });
    expect(c.isDishonestDebtor).toBe(true);
  });

  it("赵磊: single, no account, no property, no 2025 income", async () => {
    const c = await citizen(ZHAO_LEI);
    expect(c).toMatchObject({ id: ZHAO_LEI, name: "赵磊", gender: "MALE", maritalStatus: "SINGLE", spouse: null, marriageRecords: [] });
    expect(c.housingFundAccount).toBeNull();
    expect(c.housingFundContributedMonths).toBe(false);
    expect(c.properties).toEqual([]);
    expect(c.incomeRecord).toBeNull();
    expect(c.creditReport.score).toBe(650);
    expect(c.isDishonestDebtor).toBe(false);
  });

  it("serializes every Money value as a JSON string with exactly two decimals", async () => {
    const values: Array<[string, unknown]> = [];
    for (const id of [LI_WEI, WANG_FANG, ZHANG_MIN, ZHAO_LEI]) values.push(...moneyValues(await citizen(id), id));
    expect(values.length).toBeGreaterThan(20);
    for (const [path, value] of values) {
      expect(typeof value, path).toBe("string");
      expect(value, path).toMatch(/^-?\d+\.\d{2}$/);
    }
  });

  it("returns null, without an error, for a valid but unknown id", async () => {
    const result = await gql(CITIZEN_QUERY, { id: UNKNOWN_ID });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({ citizen: null });
  });
});

describe("citizens(ids:)", () => {
  const QUERY = `query Citizens($ids: [ID!]!) { citizens(ids: $ids) { id name creditReport { score } } }`;

  it("answers in the order of ids, with null for an unknown id", async () => {
    expect(UNKNOWN_ID).toBe("110101199001010015");
    const result = await gql(QUERY, { ids: [ZHAO_LEI, UNKNOWN_ID, WANG_FANG, LI_WEI] });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizens).toEqual([
      { id: ZHAO_LEI, name: "赵磊", creditReport: { score: 650 } },
      null,
      { id: WANG_FANG, name: "王芳", creditReport: { score: 768 } },
      { id: LI_WEI, name: "李伟", creditReport: { score: 742 } },
    ]);
  });

  it("answers a repeated id at each of its positions", async () => {
    const result = await gql(QUERY, { ids: [LI_WEI, ZHANG_MIN, LI_WEI] });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizens.map((c: { name: string }) => c.name)).toEqual(["李伟", "张敏", "李伟"]);
  });

  it("accepts 100 ids", async () => {
    const ids = [LI_WEI, ...Array.from({ length: 99 }, (_, i) => generatedCitizenId(i))];
    const result = await gql(QUERY, { ids });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.citizens).toHaveLength(100);
    expect(result.body.data.citizens[0].name).toBe("李伟");
  });

  it("refuses 101 ids with BAD_USER_INPUT", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => generatedCitizenId(i));
    const result = await gql(QUERY, { ids });
    expectBadUserInput(result);
    expect(result.body.data?.citizens ?? null).toBeNull();
  });
});

describe("malformed resident ids are refused with BAD_USER_INPUT naming the value", () => {
  const wrongCheck = LI_WEI.slice(0, 17) + (LI_WEI[17] === "2" ? "3" : "2");
  const impossibleDate = "11010119900230001" + residentIdCheckCharacter("11010119900230001");
  const cases: Array<[string, string]> = [
    ["too short", "123"],
    ["wrong check character", wrongCheck],
    ["impossible date 19900230", impossibleDate],
    ["lowercase x", ZHAO_LEI.toLowerCase()],
  ];

  it.each(cases)("citizen(id:) — %s", async (_what, bad) => {
    const result = await gql(`query($id: ID!) { citizen(id: $id) { name creditReport { score } } }`, { id: bad });
    expectBadUserInput(result, bad);
    expect(result.body.data?.citizen ?? null).toBeNull();
  });

  it.each(cases)("citizens(ids:) — %s among valid ids", async (_what, bad) => {
    const result = await gql(`query($ids: [ID!]!) { citizens(ids: $ids) { name } }`, { ids: [LI_WEI, bad, WANG_FANG] });
    expectBadUserInput(result, bad);
    expect(result.body.data?.citizens ?? null).toBeNull();
  });

  it("as an inline literal too", async () => {
    const result = await gql(`{ citizen(id: "${impossibleDate}") { name } }`);
    expectBadUserInput(result, impossibleDate);
  });
});

describe("verification fields (可用不可见)", () => {
  // A verification field is evaluated once per citizen and request (issue 9): one variant per request.
  const VARIANTS: Record<string, string> = {
    contributed12: "housingFundContributedMonths(atLeast: 12)",
    contributed600: "housingFundContributedMonths(atLeast: 600)",
    taiyuan: 'ownsResidentialPropertyIn(city: "太原市")',
    hangzhou: 'ownsResidentialPropertyIn(city: "杭州市")',
    income186k: 'incomeAtLeast(year: 2025, amount: "186000.00")',
    income186kPlusACent: 'incomeAtLeast(year: 2025, amount: "186000.01")',
    income100k: 'incomeAtLeast(year: 2025, amount: "100000.00")',
    income2024: 'incomeAtLeast(year: 2024, amount: "1.00")',
    isDishonestDebtor: "isDishonestDebtor",
  };

  it("answer yes/no for each demo citizen", async () => {
    const ids = [LI_WEI, WANG_FANG, ZHANG_MIN, ZHAO_LEI];
    const answers = ids.map((id) => ({ id }) as Record<string, unknown>);
    for (const [alias, field] of Object.entries(VARIANTS)) {
      const result = await gql(`query Verify($ids: [ID!]!) { citizens(ids: $ids) { ${alias}: ${field} } }`, { ids });
      expect(result.body.errors, alias).toBeUndefined();
      result.body.data.citizens.forEach((citizen: Record<string, unknown>, i: number) => Object.assign(answers[i]!, citizen));
    }
    const [li, wang, zhang, zhao] = answers;
    expect(li).toEqual({
      id: LI_WEI, contributed12: true, contributed600: false, taiyuan: true, hangzhou: false,
      income186k: true, income186kPlusACent: false, income100k: true, income2024: true, isDishonestDebtor: false,
    });
    expect(wang).toEqual({
      id: WANG_FANG, contributed12: true, contributed600: false, taiyuan: true, hangzhou: false,
      income186k: false, income186kPlusACent: false, income100k: true, income2024: false, isDishonestDebtor: false,
    });
    // 张敏's 杭州 home is residential; his shop is not.
    expect(zhang).toEqual({
      id: ZHANG_MIN, contributed12: true, contributed600: false, taiyuan: false, hangzhou: true,
      income186k: true, income186kPlusACent: true, income100k: true, income2024: false, isDishonestDebtor: true,
    });
    expect(zhao).toEqual({
      id: ZHAO_LEI, contributed12: false, contributed600: false, taiyuan: false, hangzhou: false,
      income186k: false, income186kPlusACent: false, income100k: false, income2024: false, isDishonestDebtor: false,
    });
  });

  // Product bug: the tax subgraph rejects "1.5" with HTTP 400 and BAD_USER_INPUT /
  // GRAPHQL_VALIDATION_FAILED, but AgencyDataSource.process turns every thrown
  // fetch error (including RemoteGraphQLDataSource's error for a non-2xx reply)
  // into SUBGRAPH_UNAVAILABLE. See the report.
  it("refuses a Money argument that is not canonical (\"1.5\" literal) with BAD_USER_INPUT", async () => {
    const result = await gql(`{ citizen(id: "${LI_WEI}") { name incomeAtLeast(year: 2025, amount: "1.5") } }`);
    expectBadUserInput(result);
    expect(result.body.data?.citizen?.incomeAtLeast ?? null).toBeNull();
  });

  it("refuses a Money variable that is not canonical (\"1.5\") with BAD_USER_INPUT", async () => {
    const result = await gql(`query($amount: Money!) { citizen(id: "${LI_WEI}") { name incomeAtLeast(year: 2025, amount: $amount) } }`, {
      amount: "1.5",
    });
    expectBadUserInput(result);
  });
});

describe("the gateway's HTTP surface", () => {
  it("answers GraphQL with Cache-Control: no-store", async () => {
    const result = await gql(`query($id: ID!) { citizen(id: $id) { name } }`, { id: LI_WEI });
    expect(result.status).toBe(200);
    expect(result.headers.get("cache-control")).toBe("no-store");
  });

  it("sends Cache-Control: no-store on an error response too", async () => {
    const result = await gql(`{ citizen(id: "123") { name } }`);
    expect(result.headers.get("cache-control")).toBe("no-store");
  });

  it("serves GET /health with 200", async () => {
    const response = await fetch(system.gatewayUrl.replace(/\/graphql$/, "/health"));
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });
});

describe("errors", () => {
  it.each([
    ["a malformed id", `{ citizen(id: "123") { name } }`, undefined],
    ["101 ids", `query($ids: [ID!]!) { citizens(ids: $ids) { name } }`, { ids: Array.from({ length: 101 }, (_, i) => generatedCitizenId(i)) }],
    ["an unknown field", `{ citizen(id: "${LI_WEI}") { name salary } }`, undefined],
    ["a syntax error", `{ citizen(id: "${LI_WEI}") { name `, undefined],
    ["a missing variable", `query($id: ID!) { citizen(id: $id) { name } }`, undefined],
    ["a bad Money argument", `{ citizen(id: "${LI_WEI}") { incomeAtLeast(year: 2025, amount: "1e3") } }`, undefined],
  ])("never carry a stacktrace in extensions: %s", async (_what, query, variables) => {
    const result = await postGraphQL(system.gatewayUrl, query, variables);
    expect(result.body.errors?.length).toBeGreaterThan(0);
    for (const error of result.body.errors!) {
      expect(error.extensions?.code).toEqual(expect.any(String));
      expect(JSON.stringify(error.extensions)).not.toMatch(/stacktrace/i);
    }
  });
});
