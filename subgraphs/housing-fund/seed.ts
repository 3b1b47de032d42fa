import type { CitizenRange } from "../shared/agency.ts";
import { forEachChunk, generatedCitizenId, hasHousingFundAccount, homeCertificateOf, unitRandom } from "../shared/syntheticPopulation.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

/** `count` consecutive months ending with `last` (YYYY-MM), oldest first. */
function monthsEndingAt(last: string, count: number): string[] {
  const [year, month] = last.split("-").map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(Date.UTC(year, month - 1 - (count - 1 - i), 1));
    return date.toISOString().slice(0, 7);
  });
}

export async function seedHousingFundDemo(prisma: PrismaClient): Promise<void> {
  await prisma.account.createMany({
    skipDuplicates: true,
    data: [
      {
        accountNumber: "140100201207000001", citizenId: "140105198605150031", status: "ACTIVE",
        employerName: "山西晋阳数据科技有限公司", employerCreditCode: "91140100MA0GRX1A1J",
        openedOn: day("2012-07-01"), monthlyDeposit: "1860.00", balance: "86400.00",
      },
      {
        accountNumber: "140100201309000002", citizenId: "140105198803120028", status: "ACTIVE",
        employerName: "太原汾河文旅发展有限公司", employerCreditCode: "91140100MA0H2K3L5W",
        openedOn: day("2013-09-01"), monthlyDeposit: "1240.00", balance: "52300.00",
      },
      {
        accountNumber: "330100200801000003", citizenId: "330106197501050017", status: "SEALED",
        employerName: "杭州西湖文化传媒有限公司", employerCreditCode: "91330106MA2B7C8D9F",
        openedOn: day("2008-01-01"), monthlyDeposit: "2400.00", balance: "12000.00",
      },
    ],
  });
  const history = (accountNumber: string, last: string, count: number, amount: string) =>
    monthsEndingAt(last, count).map((month) => ({ accountNumber, month, amount }));
  await prisma.contribution.createMany({
    skipDuplicates: true,
    data: [
      ...history("140100201207000001", "2026-10", 36, "1860.00"),
      ...history("140100201309000002", "2026-10", 24, "1240.00"),
      ...history("330100200801000003", "2019-12", 12, "2400.00"),
    ],
  });
  await prisma.loan.createMany({
    skipDuplicates: true,
    data: [
      {
        loanNumber: "HFL140100201603080001", accountNumber: "140100201207000001",
        principal: "600000.00", outstanding: "412000.00", status: "ACTIVE",
        collateralCertificate: "晋(2016)太原市不动产权第0012345号",
      },
    ],
  });
}

const EMPLOYER = { name: "北京东城数字政务服务有限公司", creditCode: "91110101MA01ABCD2C" };

export async function seedHousingFundGenerated(prisma: PrismaClient, range: CitizenRange): Promise<number> {
  let rows = 0;
  const months = monthsEndingAt("2026-10", 12);
  await forEachChunk(range, 1000, async (indexes) => {
    const holders = indexes.filter(hasHousingFundAccount);
    const accounts = holders.map((index) => {
      const deposit = 800 + Math.floor(unitRandom(index, 1) * 2400);
      return {
        accountNumber: `110100${String(index).padStart(12, "0")}`,
        citizenId: generatedCitizenId(index),
        status: index % 40 === 3 ? ("SEALED" as const) : ("ACTIVE" as const),
        employerName: EMPLOYER.name,
        employerCreditCode: EMPLOYER.creditCode,
        openedOn: new Date(Date.UTC(2005 + (index % 18), index % 12, 1)),
        monthlyDeposit: `${deposit}.00`,
        balance: `${deposit * (12 + (index % 90))}.${String(index % 100).padStart(2, "0")}`,
        index,
        deposit,
      };
    });
    rows += (await prisma.account.createMany({ skipDuplicates: true, data: accounts.map(({ index: _i, deposit: _d, ...row }) => row) })).count;
    rows += (
      await prisma.contribution.createMany({
        skipDuplicates: true,
        data: accounts.flatMap((account) => months.map((month) => ({ accountNumber: account.accountNumber, month, amount: `${account.deposit}.00` }))),
      })
    ).count;
    const loans = accounts.filter((account) => account.index % 2 === 0 && homeCertificateOf(account.index) !== null);
    rows += (
      await prisma.loan.createMany({
        skipDuplicates: true,
        data: loans.map((account) => ({
          loanNumber: `HFL${String(account.index).padStart(12, "0")}`,
          accountNumber: account.accountNumber,
          principal: "500000.00",
          outstanding: `${200000 + (account.index % 300) * 1000}.00`,
          status: "ACTIVE" as const,
          collateralCertificate: homeCertificateOf(account.index),
        })),
      })
    ).count;
  });
  return rows;
}
