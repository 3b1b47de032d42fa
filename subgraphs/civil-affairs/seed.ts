import type { CitizenRange } from "../shared/agency.ts";
import { forEachChunk, generatedCitizen, generatedCitizenId, spouseIndexOf } from "../shared/syntheticPopulation.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const LI_WEI = "140105198605150031";
const WANG_FANG = "140105198803120028";
const ZHANG_MIN = "330106197501050017";
const CHEN_JING = "330106197708120043";
const ZHAO_LEI = "14010519650909005X";

/** The standard's demo citizens, plus 张敏's former wife so every marriage record has its partner. */
export async function seedCivilAffairsDemo(prisma: PrismaClient): Promise<void> {
  await prisma.citizen.createMany({
    skipDuplicates: true,
    data: [
      { id: LI_WEI, name: "李伟", gender: "MALE", birthDate: day("1986-05-15"), maritalStatus: "MARRIED" },
      { id: WANG_FANG, name: "王芳", gender: "FEMALE", birthDate: day("1988-03-12"), maritalStatus: "MARRIED" },
      { id: ZHANG_MIN, name: "张敏", gender: "MALE", birthDate: day("1975-01-05"), maritalStatus: "DIVORCED" },
      { id: CHEN_JING, name: "陈静", gender: "FEMALE", birthDate: day("1977-08-12"), maritalStatus: "DIVORCED" },
      { id: ZHAO_LEI, name: "赵磊", gender: "MALE", birthDate: day("1965-09-09"), maritalStatus: "SINGLE" },
    ],
  });
  const taiyuan = "太原市小店区婚姻登记处";
  const hangzhou = "杭州市西湖区婚姻登记处";
  await prisma.marriageRecord.createMany({
    skipDuplicates: true,
    data: [
      { citizenId: LI_WEI, partnerId: WANG_FANG, kind: "MARRIAGE", registeredOn: day("2014-05-20"), registryOffice: taiyuan },
      { citizenId: WANG_FANG, partnerId: LI_WEI, kind: "MARRIAGE", registeredOn: day("2014-05-20"), registryOffice: taiyuan },
      { citizenId: ZHANG_MIN, partnerId: CHEN_JING, kind: "MARRIAGE", registeredOn: day("2003-10-01"), registryOffice: hangzhou },
      { citizenId: CHEN_JING, partnerId: ZHANG_MIN, kind: "MARRIAGE", registeredOn: day("2003-10-01"), registryOffice: hangzhou },
      { citizenId: ZHANG_MIN, partnerId: CHEN_JING, kind: "DIVORCE", registeredOn: day("2019-06-18"), registryOffice: hangzhou },
      { citizenId: CHEN_JING, partnerId: ZHANG_MIN, kind: "DIVORCE", registeredOn: day("2019-06-18"), registryOffice: hangzhou },
    ],
  });
}

/** Generated citizens' identity and marriages (see syntheticPopulation.ts). */
export async function seedCivilAffairsGenerated(prisma: PrismaClient, range: CitizenRange): Promise<number> {
  let rows = 0;
  await forEachChunk(range, 2000, async (indexes) => {
    const citizens = indexes.map(generatedCitizen);
    rows += (
      await prisma.citizen.createMany({
        skipDuplicates: true,
        data: citizens.map((c) => ({
          id: c.id,
          name: c.name,
          gender: c.gender,
          birthDate: c.birthDate,
          maritalStatus: spouseIndexOf(c.index) === null ? ("SINGLE" as const) : ("MARRIED" as const),
        })),
      })
    ).count;
    const married = indexes.filter((index) => spouseIndexOf(index) !== null);
    rows += (
      await prisma.marriageRecord.createMany({
        skipDuplicates: true,
        data: married.map((index) => ({
          citizenId: generatedCitizenId(index),
          partnerId: generatedCitizenId(spouseIndexOf(index)!),
          kind: "MARRIAGE" as const,
          registeredOn: new Date(Date.UTC(2010 + (index % 12), index % 12, 1 + (index % 28))),
          registryOffice: "北京市东城区婚姻登记处",
        })),
      })
    ).count;
  });
  return rows;
}
