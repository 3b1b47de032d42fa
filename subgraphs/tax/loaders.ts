import { createRowLoader } from "../shared/createLoaders.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

/** A citizen's income in one year. */
export interface IncomeKey {
  citizenId: string;
  year: number;
}

export type IncomeRecordRow = Awaited<ReturnType<typeof fetchIncomeRecords>>[number];

function fetchIncomeRecords(prisma: PrismaClient, keys: readonly IncomeKey[]) {
  return prisma.incomeRecord.findMany({
    where: {
      citizenId: { in: [...new Set(keys.map((key) => key.citizenId))] },
      year: { in: [...new Set(keys.map((key) => key.year))] },
    },
    select: { citizenId: true, year: true, totalIncome: true, taxPaid: true },
  });
}

/** Per-request loaders of the tax bureau. */
export function createTaxLoaders(prisma: PrismaClient) {
  return {
    incomeRecord: createRowLoader(
      (keys: readonly IncomeKey[]) => fetchIncomeRecords(prisma, keys),
      (row) => ({ citizenId: row.citizenId, year: row.year }),
      (key) => `${key.citizenId}:${key.year}`,
    ),
    deedTax: createRowLoader(
      (certificates: readonly string[]) =>
        prisma.deedTax.findMany({ where: { certificateNumber: { in: [...certificates] } }, select: { certificateNumber: true, amount: true } }),
      (row) => row.certificateNumber,
    ),
  };
}

export type TaxLoaders = ReturnType<typeof createTaxLoaders>;
