import DataLoader from "dataloader";
import { createListLoader, createRowLoader } from "../shared/createLoaders.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

export type AccountRow = Awaited<ReturnType<typeof fetchAccounts>>[number];
export type LoanRow = Awaited<ReturnType<typeof fetchLoans>>[number];
export interface ContributionRow {
  accountNumber: string;
  month: string;
  amount: string;
}

function fetchAccounts(prisma: PrismaClient, citizenIds: readonly string[]) {
  return prisma.account.findMany({
    where: { citizenId: { in: [...citizenIds] } },
    select: {
      accountNumber: true,
      citizenId: true,
      status: true,
      employerName: true,
      employerCreditCode: true,
      openedOn: true,
      monthlyDeposit: true,
      balance: true,
    },
  });
}

function fetchLoans(prisma: PrismaClient, accountNumbers: readonly string[]) {
  return prisma.loan.findMany({
    where: { accountNumber: { in: [...accountNumbers] } },
    select: { loanNumber: true, accountNumber: true, principal: true, outstanding: true, status: true, collateralCertificate: true },
    orderBy: { loanNumber: "asc" },
  });
}

/** Months with a contribution, per citizen, in one grouped query. */
async function fetchContributedMonths(prisma: PrismaClient, citizenIds: readonly string[]) {
  const rows = await prisma.$queryRaw<Array<{ citizen_id: string; months: number }>>`
    SELECT a.citizen_id, count(c.month)::int AS months
    FROM account a JOIN contribution c ON c.account_number = a.account_number
    WHERE a.citizen_id = ANY(${[...citizenIds]}::char(18)[])
    GROUP BY a.citizen_id`;
  const byCitizen = new Map(rows.map((row) => [row.citizen_id, row.months]));
  return citizenIds.map((id) => byCitizen.get(id) ?? 0);
}

/** The newest `last` contributions of each account, in one windowed query. */
async function fetchLatestContributions(prisma: PrismaClient, last: number, accountNumbers: readonly string[]) {
  const rows = await prisma.$queryRaw<ContributionRow[]>`
    SELECT account_number AS "accountNumber", month, amount::text AS amount
    FROM (
      SELECT account_number, month, amount,
             row_number() OVER (PARTITION BY account_number ORDER BY month DESC) AS position
      FROM contribution WHERE account_number = ANY(${[...accountNumbers]}::varchar[])
    ) ranked
    WHERE position <= ${last}
    ORDER BY account_number, month DESC`;
  return rows;
}

/** Per-request loaders of the housing-fund centre. */
export function createHousingFundLoaders(prisma: PrismaClient) {
  const contributionsByLast = new Map<number, DataLoader<string, ContributionRow[]>>();
  return {
    accountByCitizen: createRowLoader((ids: readonly string[]) => fetchAccounts(prisma, ids), (row) => row.citizenId),
    contributedMonths: new DataLoader<string, number>((ids) => fetchContributedMonths(prisma, ids), { maxBatchSize: 1000 }),
    loansByAccount: createListLoader((numbers: readonly string[]) => fetchLoans(prisma, numbers), (row) => row.accountNumber),
    /** One loader per distinct `last` argument, so each batch is one query. */
    latestContributions(last: number): DataLoader<string, ContributionRow[]> {
      let loader = contributionsByLast.get(last);
      if (!loader) {
        loader = createListLoader((numbers: readonly string[]) => fetchLatestContributions(prisma, last, numbers), (row) => row.accountNumber);
        contributionsByLast.set(last, loader);
      }
      return loader;
    },
  };
}

export type HousingFundLoaders = ReturnType<typeof createHousingFundLoaders>;
