import type { SubgraphContext } from "../shared/agency.ts";
import type { CreditLoaders } from "./loaders.ts";
import type { Resolvers } from "./generated/resolverTypes.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

type Context = SubgraphContext<PrismaClient, CreditLoaders>;

export const resolvers: Resolvers<Context> = {
  Citizen: {
    // A reference carries only the id; every field below reads through a loader.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    creditReport(citizen: { id: string }, _: unknown, { loaders }: Context) {
      return loaders.creditReport.load(citizen.id);
    },
    async isDishonestDebtor(citizen: { id: string }, _: unknown, { loaders }: Context) {
      return (await loaders.creditReport.load(citizen.id))?.dishonestDebtor ?? false;
    },
  },
};
