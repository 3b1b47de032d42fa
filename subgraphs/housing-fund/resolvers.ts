import { BadUserInputError } from "../../platform/errors.ts";
import type { SubgraphContext } from "../shared/agency.ts";
import type { AccountRow, HousingFundLoaders, LoanRow } from "./loaders.ts";
import type { Resolvers } from "./generated/resolverTypes.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

type Context = SubgraphContext<PrismaClient, HousingFundLoaders>;

/** The longest contribution history one request may ask for. */
export const MAX_CONTRIBUTION_MONTHS = 600;

export const resolvers: Resolvers<Context> = {
  Citizen: {
    // A reference carries only the id; every field below reads through a loader.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    housingFundAccount(citizen: { id: string }, _: unknown, { loaders }: Context) {
      return loaders.accountByCitizen.load(citizen.id);
    },
    async housingFundContributedMonths(citizen: { id: string }, args: { atLeast: number }, { loaders }: Context) {
      return (await loaders.contributedMonths.load(citizen.id)) >= args.atLeast;
    },
  },
  HousingFundAccount: {
    employer: (account: AccountRow) => ({ name: account.employerName, creditCode: account.employerCreditCode }),
    contributions(account: AccountRow, args: { last: number }, { loaders }: Context) {
      if (args.last < 0 || args.last > MAX_CONTRIBUTION_MONTHS) {
        throw new BadUserInputError(`contributions(last:) must be from 0 to ${MAX_CONTRIBUTION_MONTHS}, got ${args.last}`);
      }
      return loaders.latestContributions(args.last).load(account.accountNumber);
    },
    loans(account: AccountRow, _: unknown, { loaders }: Context) {
      return loaders.loansByAccount.load(account.accountNumber);
    },
  },
  HousingFundLoan: {
    collateral: (loan: LoanRow) => (loan.collateralCertificate ? { certificateNumber: loan.collateralCertificate } : null),
  },
};
