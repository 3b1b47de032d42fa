/**
 * No N+1: one citizens(ids:) request across all five agencies costs each
 * agency's database the same small number of SQL statements whether it asks
 * for 10 citizens or 100. Counts come from each subgraph's metrics (METRICS_PORT).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedCitizen, generatedCitizenId } from "../../subgraphs/shared/syntheticPopulation.ts";
import { postGraphQL, type GraphQLResult } from "../support/graphql.ts";
import { startSystem, type System } from "../support/startSystem.ts";

const AGENCIES = ["civil-affairs", "housing-fund", "real-estate", "tax", "credit"];
const MAX_STATEMENTS_PER_AGENCY = 12;

const QUERY = /* GraphQL */ `
  query Citizens($ids: [ID!]!) {
    citizens(ids: $ids) {
      id
      name
      spouse { name }
      marriageRecords { partner { name } }
      housingFundAccount {
        balance
        contributions(last: 3) { month }
        loans { collateral { city owners { owner { name } } deedTaxPaid } }
      }
      properties { city owners { share } mortgages { amount } deedTaxPaid }
      incomeRecord(year: 2025) { totalIncome }
      creditReport { score }
      isDishonestDebtor
    }
  }
`;

const idsOf = (count: number) => Array.from({ length: count }, (_, i) => generatedCitizenId(i));

let system: System;

beforeAll(async () => {
  system = await startSystem({ suite: "nplus1", generatedCitizens: 200 });
});

afterAll(async () => {
  await system?.stop();
});

/** Each agency's `sql_statements_total`, read over HTTP. */
async function statementCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const agency of AGENCIES) {
    const response = await fetch(system.subgraphs.get(agency)!.metricsUrl);
    expect(response.status).toBe(200);
    const match = /^sql_statements_total(?:\{[^}]*\})? (\d+)$/m.exec(await response.text());
    expect(match, `${agency} /metrics`).not.toBeNull();
    counts[agency] = Number(match![1]);
  }
  return counts;
}

/** Sends QUERY for `ids` and returns the response and the statements each agency ran for it. */
async function measure(ids: string[]): Promise<{ result: GraphQLResult; statements: Record<string, number> }> {
  const before = await statementCounts();
  const result = await postGraphQL(system.gatewayUrl, QUERY, { ids });
  const after = await statementCounts();
  const statements = Object.fromEntries(AGENCIES.map((agency) => [agency, after[agency]! - before[agency]!]));
  return { result, statements };
}

describe("no N+1 across agencies", () => {
  let ten: Awaited<ReturnType<typeof measure>>;
  let hundred: Awaited<ReturnType<typeof measure>>;

  beforeAll(async () => {
    // Warm-up with the very same query shapes: Prisma's first use of a query may add statements.
    await measure(idsOf(10));
    await measure(idsOf(100));
    ten = await measure(idsOf(10));
    hundred = await measure(idsOf(100));
  });

  it("answers all 100 citizens, in order, without errors", () => {
    const { result } = hundred;
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const citizens = result.body.data.citizens as any[];
    expect(citizens).toHaveLength(100);
    citizens.forEach((citizen, index) => {
      expect(citizen?.id).toBe(generatedCitizenId(index));
      expect(citizen.name).toBe(generatedCitizen(index).name);
      expect(typeof citizen.creditReport.score).toBe("number");
      expect(typeof citizen.isDishonestDebtor).toBe("boolean");
    });
  });

  it("exercises every agency and every nested path (so the counts mean something)", () => {
    const citizens = hundred.result.body.data.citizens as any[];
    const some = (predicate: (c: any) => boolean) => citizens.some(predicate);
    expect(some((c) => c.spouse?.name)).toBe(true);
    expect(some((c) => c.marriageRecords.some((r: any) => r.partner.name))).toBe(true);
    expect(some((c) => c.housingFundAccount?.contributions.length === 3)).toBe(true);
    expect(some((c) => c.housingFundAccount?.loans.some((l: any) => l.collateral.city && l.collateral.deedTaxPaid && l.collateral.owners[0].owner.name))).toBe(true);
    expect(some((c) => c.properties.some((p: any) => p.mortgages.length > 0 && p.owners.length > 0 && p.deedTaxPaid))).toBe(true);
    expect(some((c) => c.incomeRecord?.totalIncome)).toBe(true);
    // ...and the 10-citizen request reaches every agency too.
    const tenCitizens = ten.result.body.data.citizens as any[];
    expect(ten.result.body.errors).toBeUndefined();
    expect(tenCitizens).toHaveLength(10);
    expect(tenCitizens.some((c) => c.housingFundAccount?.loans.some((l: any) => l.collateral.owners.length > 0))).toBe(true);
    for (const agency of AGENCIES) expect(ten.statements[agency], agency).toBeGreaterThan(0);
  });

  it.each(AGENCIES)("%s runs as many statements for 100 citizens as for 10", (agency) => {
    expect({ agency, statements: hundred.statements[agency] }).toEqual({ agency, statements: ten.statements[agency] });
  });

  it.each(AGENCIES)(`%s runs at most ${MAX_STATEMENTS_PER_AGENCY} statements for the request`, (agency) => {
    expect(hundred.statements[agency]).toBeLessThanOrEqual(MAX_STATEMENTS_PER_AGENCY);
    expect(ten.statements[agency]).toBeLessThanOrEqual(MAX_STATEMENTS_PER_AGENCY);
  });
});
