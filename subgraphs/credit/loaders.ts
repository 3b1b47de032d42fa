import { createRowLoader } from "../shared/createLoaders.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

/** Per-request loaders of the credit bureau. */
export function createCreditLoaders(prisma: PrismaClient) {
  return {
    creditReport: createRowLoader(
      (ids: readonly string[]) =>
        prisma.creditReport.findMany({
          where: { citizenId: { in: [...ids] } },
          select: { citizenId: true, score: true, rating: true, dishonestDebtor: true, overdueAccounts: true, updatedOn: true },
        }),
      (row) => row.citizenId,
    ),
  };
}

export type CreditLoaders = ReturnType<typeof createCreditLoaders>;
