import type { CitizenRange } from "../shared/agency.ts";
import { forEachChunk, generatedCitizenId, hasIncomeRecord, homeCertificateOf, homeOwnersOf, unitRandom } from "../shared/syntheticPopulation.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

export async function seedTaxDemo(prisma: PrismaClient): Promise<void> {
  await prisma.incomeRecord.createMany({
    skipDuplicates: true,
    data: [
      { citizenId: "140105198605150031", year: 2024, totalIncome: "172000.00", taxPaid: "8160.00" },
      { citizenId: "140105198605150031", year: 2025, totalIncome: "186000.00", taxPaid: "9480.00" },
      { citizenId: "140105198803120028", year: 2025, totalIncome: "124000.00", taxPaid: "3720.00" },
      { citizenId: "330106197501050017", year: 2025, totalIncome: "310000.00", taxPaid: "43080.00" },
      { citizenId: "14010519650909005X", year: 2023, totalIncome: "48000.00", taxPaid: "0.00" },
    ],
  });
  await prisma.deedTax.createMany({
    skipDuplicates: true,
    data: [
      { certificateNumber: "晋(2016)太原市不动产权第0012345号", amount: "13425.00", paidOn: day("2016-03-08") },
      { certificateNumber: "浙(2012)杭州市不动产权第0034567号", amount: "54000.00", paidOn: day("2012-04-16") },
    ],
  });
}

export async function seedTaxGenerated(prisma: PrismaClient, range: CitizenRange): Promise<number> {
  let rows = 0;
  await forEachChunk(range, 2000, async (indexes) => {
    rows += (
      await prisma.incomeRecord.createMany({
        skipDuplicates: true,
        data: indexes.filter(hasIncomeRecord).map((index) => {
          const income = 40000 + Math.floor(unitRandom(index, 5) * 360000);
          return {
            citizenId: generatedCitizenId(index),
            year: 2025,
            totalIncome: `${income}.00`,
            taxPaid: `${Math.max(0, Math.floor((income - 60000) * 0.08))}.00`,
          };
        }),
      })
    ).count;
    rows += (
      await prisma.deedTax.createMany({
        skipDuplicates: true,
        data: indexes
          .filter((index) => homeOwnersOf(index) !== null)
          .map((index) => ({
            certificateNumber: homeCertificateOf(index)!,
            amount: `${7500 + (index % 100) * 150}.00`,
            paidOn: new Date(Date.UTC(2010 + (index % 14), index % 12, 1 + (index % 28))),
          })),
      })
    ).count;
  });
  return rows;
}
