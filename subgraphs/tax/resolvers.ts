import type { SubgraphContext } from "../shared/agency.ts";
import { decimalToMoney, moneyToCents } from "../../platform/standard/money.ts";
import type { TaxLoaders } from "./loaders.ts";
import type { Resolvers } from "./generated/resolverTypes.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

type Context = SubgraphContext<PrismaClient, TaxLoaders>;

export const resolvers: Resolvers<Context> = {
  Citizen: {
    // A reference carries only the id; every field below reads through a loader.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    incomeRecord(citizen: { id: string }, args: { year: number }, { loaders }: Context) {
      return loaders.incomeRecord.load({ citizenId: citizen.id, year: args.year });
    },
    async incomeAtLeast(citizen: { id: string }, args: { year: number; amount: string }, { loaders }: Context) {
      const record = await loaders.incomeRecord.load({ citizenId: citizen.id, year: args.year });
      return record !== null && moneyToCents(decimalToMoney(record.totalIncome)) >= moneyToCents(args.amount);
    },
  },
  Property: {
    // Tax extends the registry's Property: a reference carries only the certificate number.
    __resolveReference: (reference: { certificateNumber: string }) => ({ certificateNumber: reference.certificateNumber }),
    async deedTaxPaid(property: { certificateNumber: string }, _: unknown, { loaders }: Context) {
      return (await loaders.deedTax.load(property.certificateNumber))?.amount ?? null;
    },
  },
};
