import type { CitizenRange } from "../shared/agency.ts";
import { forEachChunk, generatedCitizenId, homeCertificateOf, homeOwnersOf, unitRandom } from "../shared/syntheticPopulation.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const TAIYUAN_HOME = "晋(2016)太原市不动产权第0012345号";
const HANGZHOU_HOME = "浙(2012)杭州市不动产权第0034567号";
const HANGZHOU_SHOP = "浙(2018)杭州市不动产权第0078901号";

export async function seedRealEstateDemo(prisma: PrismaClient): Promise<void> {
  await prisma.property.createMany({
    skipDuplicates: true,
    data: [
      {
        certificateNumber: TAIYUAN_HOME, city: "太原市", district: "小店区", address: "太原市小店区龙城大街88号3单元1202室",
        usage: "RESIDENTIAL", floorArea: "89.50", registeredOn: day("2016-03-08"), seized: false,
      },
      {
        certificateNumber: HANGZHOU_HOME, city: "杭州市", district: "西湖区", address: "杭州市西湖区文三路259号2幢501室",
        usage: "RESIDENTIAL", floorArea: "120.00", registeredOn: day("2012-04-16"), seized: true,
      },
      {
        certificateNumber: HANGZHOU_SHOP, city: "杭州市", district: "上城区", address: "杭州市上城区解放路188号商铺105",
        usage: "COMMERCIAL", floorArea: "65.30", registeredOn: day("2018-09-03"), seized: false,
      },
    ],
  });
  await prisma.ownership.createMany({
    skipDuplicates: true,
    data: [
      { certificateNumber: TAIYUAN_HOME, citizenId: "140105198605150031", share: "0.5" },
      { certificateNumber: TAIYUAN_HOME, citizenId: "140105198803120028", share: "0.5" },
      { certificateNumber: HANGZHOU_HOME, citizenId: "330106197501050017", share: "1" },
      { certificateNumber: HANGZHOU_SHOP, citizenId: "330106197501050017", share: "1" },
    ],
  });
  await prisma.mortgage.createMany({
    skipDuplicates: true,
    data: [{ certificateNumber: TAIYUAN_HOME, mortgagee: "太原市住房公积金管理中心", amount: "600000.00", registeredOn: day("2016-03-08") }],
  });
}

export async function seedRealEstateGenerated(prisma: PrismaClient, range: CitizenRange): Promise<number> {
  let rows = 0;
  await forEachChunk(range, 1000, async (indexes) => {
    const homes = indexes.flatMap((index) => {
      const owners = homeOwnersOf(index);
      return owners ? [{ index, certificateNumber: homeCertificateOf(index)!, owners }] : [];
    });
    rows += (
      await prisma.property.createMany({
        skipDuplicates: true,
        data: homes.map((home) => ({
          certificateNumber: home.certificateNumber,
          city: "北京市",
          district: "东城区",
          address: `北京市东城区和平里${1 + (home.index % 30)}号楼${1 + (home.index % 6)}单元${100 + (home.index % 2000)}室`,
          usage: "RESIDENTIAL" as const,
          floorArea: (50 + unitRandom(home.index, 3) * 100).toFixed(2),
          registeredOn: new Date(Date.UTC(2010 + (home.index % 14), home.index % 12, 1 + (home.index % 28))),
          seized: home.index % 97 === 0,
        })),
      })
    ).count;
    rows += (
      await prisma.ownership.createMany({
        skipDuplicates: true,
        data: homes.flatMap((home) =>
          home.owners.map((owner) => ({
            certificateNumber: home.certificateNumber,
            citizenId: generatedCitizenId(owner),
            share: home.owners.length === 2 ? "0.5" : "1",
          })),
        ),
      })
    ).count;
    const mortgaged = homes.filter((home) => home.index % 2 === 0);
    rows += (
      await prisma.mortgage.createMany({
        skipDuplicates: true,
        data: mortgaged.map((home) => ({
          certificateNumber: home.certificateNumber,
          mortgagee: "北京住房公积金管理中心",
          amount: "500000.00",
          registeredOn: new Date(Date.UTC(2010 + (home.index % 14), home.index % 12, 1 + (home.index % 28))),
        })),
      })
    ).count;
  });
  return rows;
}
