import { createListLoader, createRowLoader } from "../shared/createLoaders.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

export type CitizenRow = Awaited<ReturnType<typeof fetchCitizens>>[number];
export type MarriageRecordRow = Awaited<ReturnType<typeof fetchMarriageRecords>>[number];

function fetchCitizens(prisma: PrismaClient, ids: readonly string[]) {
  return prisma.citizen.findMany({
    where: { id: { in: [...ids] } },
    select: { id: true, name: true, gender: true, birthDate: true, maritalStatus: true },
  });
}

function fetchMarriageRecords(prisma: PrismaClient, citizenIds: readonly string[]) {
  return prisma.marriageRecord.findMany({
    where: { citizenId: { in: [...citizenIds] } },
    select: { citizenId: true, partnerId: true, kind: true, registeredOn: true, registryOffice: true },
    orderBy: [{ registeredOn: "asc" }, { kind: "asc" }],
  });
}

/** Per-request loaders of the civil-affairs registry. */
export function createCivilAffairsLoaders(prisma: PrismaClient) {
  return {
    citizen: createRowLoader((ids: readonly string[]) => fetchCitizens(prisma, ids), (row) => row.id),
    marriageRecords: createListLoader((ids: readonly string[]) => fetchMarriageRecords(prisma, ids), (row) => row.citizenId),
  };
}

export type CivilAffairsLoaders = ReturnType<typeof createCivilAffairsLoaders>;
