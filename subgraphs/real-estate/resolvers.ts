import type { SubgraphContext } from "../shared/agency.ts";
import type { OwnershipRow, PropertyRow, RealEstateLoaders } from "./loaders.ts";
import type { Resolvers } from "./generated/resolverTypes.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

type Context = SubgraphContext<PrismaClient, RealEstateLoaders>;

export const resolvers: Resolvers<Context> = {
  Citizen: {
    // A reference carries only the id; every field below reads through a loader.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    properties(citizen: { id: string }, _: unknown, { loaders }: Context) {
      return loaders.propertiesByOwner.load(citizen.id);
    },
    async ownsResidentialPropertyIn(citizen: { id: string }, args: { city: string }, { loaders }: Context) {
      const properties = await loaders.propertiesByOwner.load(citizen.id);
      return properties.some((property) => property.usage === "RESIDENTIAL" && property.city === args.city);
    },
  },
  Property: {
    __resolveReference(reference: { certificateNumber: string }, { loaders }: Context) {
      return loaders.property.load(reference.certificateNumber);
    },
    floorArea: (property: PropertyRow) => property.floorArea.toNumber(),
    owners(property: PropertyRow, _: unknown, { loaders }: Context) {
      return loaders.ownersByProperty.load(property.certificateNumber);
    },
    mortgages(property: PropertyRow, _: unknown, { loaders }: Context) {
      return loaders.mortgagesByProperty.load(property.certificateNumber);
    },
  },
  Ownership: {
    owner: (ownership: OwnershipRow) => ({ id: ownership.citizenId }),
    share: (ownership: OwnershipRow) => ownership.share.toNumber(),
  },
};
