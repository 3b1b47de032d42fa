import { BadUserInputError } from "../../platform/errors.ts";
import type { SubgraphContext } from "../shared/agency.ts";
import { assertResidentId } from "../../platform/standard/assertResidentId.ts";
import type { CitizenRow, CivilAffairsLoaders, MarriageRecordRow } from "./loaders.ts";
import type { Resolvers } from "./generated/resolverTypes.ts";
import type { PrismaClient } from "./prisma/generated/client.ts";

type Context = SubgraphContext<PrismaClient, CivilAffairsLoaders>;

/** The most ids `Query.citizens` accepts, per the standard. */
export const MAX_CITIZENS_PER_QUERY = 100;

export const resolvers: Resolvers<Context> = {
  Query: {
    citizen(_: unknown, args: { id: string }, { loaders }: Context) {
      assertResidentId(args.id);
      return loaders.citizen.load(args.id);
    },
    citizens(_: unknown, args: { ids: string[] }, { loaders }: Context) {
      if (args.ids.length > MAX_CITIZENS_PER_QUERY) {
        throw new BadUserInputError(`citizens(ids:) takes at most ${MAX_CITIZENS_PER_QUERY} ids, got ${args.ids.length}`);
      }
      for (const id of args.ids) assertResidentId(id);
      // In the ids' order; an unknown id is null.
      return Promise.all(args.ids.map((id) => loaders.citizen.load(id)));
    },
  },
  Citizen: {
    __resolveReference(reference: { id: string }, { loaders }: Context) {
      return loaders.citizen.load(reference.id);
    },
    marriageRecords(citizen: CitizenRow, _: unknown, { loaders }: Context) {
      return loaders.marriageRecords.load(citizen.id);
    },
    async spouse(citizen: CitizenRow, _: unknown, { loaders }: Context) {
      if (citizen.maritalStatus !== "MARRIED") return null;
      const latest = (await loaders.marriageRecords.load(citizen.id)).at(-1);
      return latest?.kind === "MARRIAGE" ? loaders.citizen.load(latest.partnerId) : null;
    },
  },
  MarriageRecord: {
    async partner(record: MarriageRecordRow, _: unknown, { loaders }: Context) {
      const partner = await loaders.citizen.load(record.partnerId);
      // `partner` is non-null: a record naming someone the registry does not hold is an error at this path (as before, now said).
      if (!partner) throw new Error("a marriage record names a partner the registry does not hold");
      return partner;
    },
  },
};
