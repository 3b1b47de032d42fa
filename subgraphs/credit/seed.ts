import type { CitizenRange } from "../shared/agency.ts";
import { forEachChunk, generatedCitizenId, unitRandom } from "../shared/syntheticPopulation.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

const UPDATED_ON = new Date("2026-10-31T00:00:00Z");

/** The rating band of a credit score. */
export function ratingOf(score: number): string {
  if (score >= 800) return "AAA";
  if (score >= 750) return "AA";
  if (score >= 700) return "A";
  if (score >= 600) return "B";
  if (score >= 500) return "C";
  return "D";
}

const report = (citizenId: string, score: number, dishonestDebtor = false, overdueAccounts = 0) => ({
  citizenId, score, rating: ratingOf(score), dishonestDebtor, overdueAccounts, updatedOn: UPDATED_ON,
});

export async function seedCreditDemo(prisma: PrismaClient): Promise<void> {
  await prisma.creditReport.createMany({
    skipDuplicates: true,
    data: [
      report("140105198605150031", 742),
      report("140105198803120028", 768),
      report("330106197501050017", 420, true, 3),
      report("330106197708120043", 705),
      report("14010519650909005X", 650),
    ],
  });
}

export async function seedCreditGenerated(prisma: PrismaClient, range: CitizenRange): Promise<number> {
  let rows = 0;
  await forEachChunk(range, 2000, async (indexes) => {
    rows += (
      await prisma.creditReport.createMany({
        skipDuplicates: true,
        data: indexes.map((index) => {
          const dishonest = index % 50 === 7;
          const score = dishonest ? 380 + (index % 100) : 520 + Math.floor(unitRandom(index, 7) * 380);
          return report(generatedCitizenId(index), score, dishonest, dishonest ? 2 + (index % 3) : index % 11 === 0 ? 1 : 0);
        }),
      })
    ).count;
  });
  return rows;
}
