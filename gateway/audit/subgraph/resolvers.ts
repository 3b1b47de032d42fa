import { ForbiddenReason } from "../../../platform/forbiddenReason.ts";
import { GraphQLScalarType, Kind } from "graphql";
import { BadUserInputError, ErrorCode, ServiceError } from "../../../platform/errors.ts";
import type { SubgraphCaller } from "../../../platform/subgraph/createGatewayTokenVerifier.ts";
import { assertResidentId } from "../../../platform/standard/assertResidentId.ts";
import type { AuditOutcome, AuditRecord } from "../AuditEntry.ts";
import type { SqlSession } from "../../../platform/database/applyMigrations.ts";
import type { PrismaClient } from "../prisma/generated/client.ts";
import { queryAuditRecords } from "../queryAuditRecords.ts";
import type { ChainVerification } from "../verifyAuditChain.ts";
import type { AnomalyThresholds } from "../insights/AnomalyThresholds.ts";
import type { AuditAnomaly } from "../insights/AuditAnomaly.ts";
import { detectAuditAnomalies } from "../insights/detectAuditAnomalies.ts";
import { queryAnomalyRecords } from "../insights/queryAnomalyRecords.ts";
import { pageAuditAnomalies } from "../insights/pageAuditAnomalies.ts";
import { ceilHour, hourOf } from "../insights/readRollups.ts";
import { hourlyCountsOf } from "../insights/hourlyCountsOf.ts";
import { summarizeAudit, type AuditSummary } from "../insights/summarizeAudit.ts";
import type { FieldLevelOf } from "../insights/fieldLevelOf.ts";

export interface AuditSubgraphContext {
  caller: SubgraphCaller;
  prisma: PrismaClient;
  /** The audit database's driver: records are read with plain SQL on it (queryAuditRecords). */
  session: SqlSession;
  pseudonymize(citizenId: string): string;
  verifyChain(): Promise<ChainVerification>;
  anomalies: AnomalyThresholds;
  levelOf: FieldLevelOf;
}

/** What auditSummary resolves to: its range, and its counts computed when first asked for. */
interface SummaryOfRange {
  range: { since: Date; until: Date; topApps: number };
  summary(): Promise<AuditSummary>;
}

/** The longest range auditSummary and auditAnomalies answer. */
const MAX_RANGE_MS = 92 * 24 * 3_600_000;

function rangeOf(args: { since?: Date | null; until?: Date | null }): { since: Date; until: Date } {
  const until = args.until ?? new Date();
  const since = args.since ?? new Date(until.getTime() - 24 * 3_600_000);
  if (since >= until) throw new BadUserInputError("since must be before until");
  if (until.getTime() - since.getTime() > MAX_RANGE_MS) throw new BadUserInputError("The range may span at most 92 days");
  return { since, until };
}

function parseDateTime(value: unknown): Date {
  const date = typeof value === "string" ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(String(value))) {
    throw new BadUserInputError(`DateTime must be ISO 8601, got ${JSON.stringify(String(value).slice(0, 40))}`);
  }
  return date;
}

const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  serialize: (value) => (value instanceof Date ? value.toISOString() : parseDateTime(value).toISOString()),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

interface FilterArgument {
  seq?: string;
  hash?: string;
  app?: string;
  citizen?: string;
  field?: string;
  purpose?: string;
  outcome?: AuditOutcome;
  since?: Date;
  until?: Date;
}

function notBound(): ServiceError {
  return new ServiceError(ErrorCode.FORBIDDEN, "Not authorized to read this field", { reason: ForbiddenReason.CITIZEN_NOT_BOUND });
}

/**
 * Citizen binding holds for the audit log as for every other path: a token
 * bound to citizens reads only records naming one of them, and no summary of
 * everyone's records.
 */
function assertUnbound(context: AuditSubgraphContext): void {
  if (context.caller.citizens) throw notBound();
}

export const auditResolvers = {
  DateTime: DateTimeScalar,
  Query: {
    auditRecords(_: unknown, args: { filter?: FilterArgument | null; first: number; after?: string | null }, context: AuditSubgraphContext) {
      const filter = args.filter ?? {};
      if (filter.citizen !== undefined && filter.citizen !== null) assertResidentId(filter.citizen);
      if (filter.seq != null && !/^\d{1,19}$/.test(filter.seq)) throw new BadUserInputError("seq must be a decimal record number");
      if (filter.hash != null && !/^[0-9a-f]{64}$/.test(filter.hash)) throw new BadUserInputError("hash must be 64 lowercase hex digits");
      const bound = context.caller.citizens;
      if (bound && filter.citizen != null && !bound.has(filter.citizen)) throw notBound();
      const onlyBound = bound && filter.citizen == null ? [...bound].map(context.pseudonymize) : undefined;
      return queryAuditRecords(
        context.session,
        {
          seq: filter.seq ? BigInt(filter.seq) : undefined,
          hash: filter.hash ?? undefined,
          app: filter.app ?? undefined,
          citizenPseudonym: filter.citizen ? context.pseudonymize(filter.citizen) : undefined,
          citizenPseudonymsAnyOf: onlyBound,
          field: filter.field ?? undefined,
          purpose: filter.purpose ?? undefined,
          outcome: filter.outcome ?? undefined,
          since: filter.since ?? undefined,
          until: filter.until ?? undefined,
        },
        { first: args.first, after: args.after },
      );
    },
    auditSummary(_: unknown, args: { since?: Date | null; until?: Date | null; topApps: number }, context: AuditSubgraphContext): SummaryOfRange {
      assertUnbound(context);
      const range = { ...rangeOf(args), topApps: Math.max(1, Math.min(args.topApps, 100)) };
      let summary: Promise<AuditSummary> | undefined;
      // Computed once, and only if one of its counts is asked for (a page of flags alone does not need them).
      return { range, summary: () => (summary ??= summarizeAudit(context.session, range, context.levelOf)) };
    },
    async auditAnomalies(_: unknown, args: { since?: Date | null; until?: Date | null; id?: string | null }, context: AuditSubgraphContext) {
      assertUnbound(context);
      const flags = await detectAuditAnomalies(context.session, rangeOf(args), context.anomalies);
      return args.id ? flags.filter((flag) => flag.id === args.id) : flags;
    },
    async auditChain(_: unknown, __: unknown, context: AuditSubgraphContext) {
      const result = await context.verifyChain();
      return { ...result, firstBadRecord: result.firstBadSeq };
    },
  },
  AuditRecord: {
    seq: (record: AuditRecord) => record.seq.toString(),
    citizenPseudonyms: (record: AuditRecord) => record.citizens,
  },
  AuditSummary: {
    since: (parent: SummaryOfRange) => hourOf(parent.range.since),
    until: (parent: SummaryOfRange) => parent.range.until,
    series: async (parent: SummaryOfRange) => (await parent.summary()).series,
    hourly: async (parent: SummaryOfRange) => {
      const summary = await parent.summary();
      return hourlyCountsOf(summary.since.getTime(), ceilHour(summary.until), summary.series);
    },
    agencies: async (parent: SummaryOfRange) => (await parent.summary()).agencies,
    levels: async (parent: SummaryOfRange) => (await parent.summary()).levels,
    topApps: async (parent: SummaryOfRange) => (await parent.summary()).topApps,
    async anomalies(parent: SummaryOfRange, args: { first: number; after?: string | null }, context: AuditSubgraphContext) {
      const flags = await detectAuditAnomalies(context.session, parent.range, context.anomalies);
      return pageAuditAnomalies(flags, args);
    },
  },
  AuditAnomaly: {
    app: (flag: AuditAnomaly) => flag.scope.app,
    purpose: (flag: AuditAnomaly) => flag.scope.purpose ?? null,
    citizenPseudonym: (flag: AuditAnomaly) => flag.scope.citizen ?? null,
    fields: (flag: AuditAnomaly) => flag.scope.fields ?? [],
    since: (flag: AuditAnomaly) => flag.scope.since,
    until: (flag: AuditAnomaly) => flag.scope.until,
    records: (flag: AuditAnomaly, args: { first: number }, context: AuditSubgraphContext) => queryAnomalyRecords(context.prisma, flag.scope, args.first),
  },
  Citizen: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    async accessLog(citizen: { id: string }, args: { first: number }, context: AuditSubgraphContext) {
      // Only the citizen: a token bound to exactly this citizen.
      const bound = context.caller.citizens;
      if (!bound || bound.size !== 1 || !bound.has(citizen.id)) {
        throw new ServiceError(ErrorCode.FORBIDDEN, "Not authorized to read this field", { reason: ForbiddenReason.CITIZEN_NOT_BOUND });
      }
      const page = await queryAuditRecords(context.session, { citizenPseudonym: context.pseudonymize(citizen.id) }, { first: args.first });
      return page.records.map((record) => ({
        time: record.time,
        app: record.app,
        purpose: record.purpose,
        fields: record.grantedFields,
        outcome: record.outcome,
      }));
    },
  },
};
