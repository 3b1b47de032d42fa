import { createListLoader, createRowLoader } from "../shared/createLoaders.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

const PROPERTY_COLUMNS = {
  certificateNumber: true,
  city: true,
  district: true,
  address: true,
  usage: true,
  floorArea: true,
  registeredOn: true,
  seized: true,
} as const;

export type PropertyRow = Awaited<ReturnType<typeof fetchProperties>>[number];
export type OwnershipRow = Awaited<ReturnType<typeof fetchOwners>>[number];

function fetchProperties(prisma: PrismaClient, certificates: readonly string[]) {
  return prisma.property.findMany({ where: { certificateNumber: { in: [...certificates] } }, select: PROPERTY_COLUMNS });
}

function fetchOwners(prisma: PrismaClient, certificates: readonly string[]) {
  return prisma.ownership.findMany({
    where: { certificateNumber: { in: [...certificates] } },
    select: { certificateNumber: true, citizenId: true, share: true },
    orderBy: [{ share: "desc" }, { citizenId: "asc" }],
  });
}

/** Each owner's properties, joined in the database in one statement. */
async function fetchPropertiesOfOwners(prisma: PrismaClient, citizenIds: readonly string[]) {
  const rows = await prisma.ownership.findMany({
    where: { citizenId: { in: [...citizenIds] } },
    select: { citizenId: true, property: { select: PROPERTY_COLUMNS } },
    orderBy: [{ property: { registeredOn: "asc" } }, { certificateNumber: "asc" }],
  });
  return rows.map((row) => ({ ownerId: row.citizenId, ...row.property }));
}

function fetchMortgages(prisma: PrismaClient, certificates: readonly string[]) {
  return prisma.mortgage.findMany({
    where: { certificateNumber: { in: [...certificates] } },
    select: { certificateNumber: true, mortgagee: true, amount: true, registeredOn: true, releasedOn: true },
    orderBy: { registeredOn: "asc" },
  });
}

/** Per-request loaders of the real-estate registry. */
export function createRealEstateLoaders(prisma: PrismaClient) {
  return {
    property: createRowLoader((certificates: readonly string[]) => fetchProperties(prisma, certificates), (row) => row.certificateNumber),
    propertiesByOwner: createListLoader((ids: readonly string[]) => fetchPropertiesOfOwners(prisma, ids), (row) => row.ownerId),
    ownersByProperty: createListLoader((certificates: readonly string[]) => fetchOwners(prisma, certificates), (row) => row.certificateNumber),
    mortgagesByProperty: createListLoader((certificates: readonly string[]) => fetchMortgages(prisma, certificates), (row) => row.certificateNumber),
  };
}

export type RealEstateLoaders = ReturnType<typeof createRealEstateLoaders>;
