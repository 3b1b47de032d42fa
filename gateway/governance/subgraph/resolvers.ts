import { GraphQLScalarType, Kind } from "graphql";
import { BadUserInputError } from "../../../platform/errors.ts";
import type { SubgraphCaller } from "../../../platform/subgraph/createGatewayTokenVerifier.ts";
import type { Governance } from "../createGovernance.ts";
import type { Catalog } from "../readCatalog.ts";

export interface GovernanceSubgraphContext {
  caller: SubgraphCaller;
  governance: Governance;
  catalog: Catalog;
}

function parseDateTime(value: unknown): Date {
  const date = typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new BadUserInputError("DateTime must be ISO 8601, e.g. 2026-12-06T09:00:00Z");
  return date;
}

const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  serialize: (value) => (value instanceof Date ? value.toISOString() : parseDateTime(value).toISOString()),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

function fixedArgumentsOf(input: Array<{ field: string; arguments: string }> | null | undefined): Record<string, Record<string, unknown>> | null {
  if (!input || input.length === 0) return null;
  const fixed: Record<string, Record<string, unknown>> = {};
  for (const { field, arguments: json } of input) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new BadUserInputError(`fixedArguments for ${field.slice(0, 80)}: arguments must be a JSON object`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new BadUserInputError(`fixedArguments for ${field.slice(0, 80)}: arguments must be a JSON object`);
    fixed[field] = parsed as Record<string, unknown>;
  }
  return fixed;
}

const asJson = (value: unknown) => (value ? JSON.stringify(value) : null);

export const governanceResolvers = {
  DateTime: DateTimeScalar,
  Query: {
    catalog: (_: unknown, args: { agency?: string | null; search?: string | null }, { catalog }: GovernanceSubgraphContext) => {
      const needle = args.search?.trim().toLowerCase();
      return catalog.fields.filter(
        (f) =>
          (!args.agency || f.agency === args.agency) &&
          (!needle || [f.coordinate, f.type, f.scope ?? "", f.description ?? "", f.agency].some((text) => text.toLowerCase().includes(needle))),
      );
    },
    catalogScopes: (_: unknown, __: unknown, { catalog }: GovernanceSubgraphContext) => catalog.scopes,
    registeredApps: (_: unknown, __: unknown, { caller, governance }: GovernanceSubgraphContext) => governance.apps(caller),
    applications: (_: unknown, args: { agency?: string; app?: string; status?: string }, { caller, governance }: GovernanceSubgraphContext) =>
      governance.applications(caller, args),
    grants: (_: unknown, args: { agency?: string; app?: string; purpose?: string; activeOnly?: boolean }, { caller, governance }: GovernanceSubgraphContext) =>
      governance.grants(caller, args),
    usage: (_: unknown, args: { agency: string; since?: Date; until?: Date; bucket?: "DAY" | "HOUR" }, { caller, governance }: GovernanceSubgraphContext) =>
      governance.usage(caller, args),
  },
  Mutation: {
    registerApp: (_: unknown, args: { app: string; department: string; contact: string }, { caller, governance }: GovernanceSubgraphContext) =>
      governance.registerApp(caller, args),
    applyForAccess: (
      _: unknown,
      { input }: { input: { app: string; purpose: string; scopes: string[]; description: string; legalBasis: string; scenario: string; durationDays: number; fixedArguments?: Array<{ field: string; arguments: string }> | null } },
      { caller, governance }: GovernanceSubgraphContext,
    ) => governance.applyForAccess(caller, { ...input, fixedArguments: fixedArgumentsOf(input.fixedArguments) }),
    approveApplication: (_: unknown, args: { id: string }, { caller, governance }: GovernanceSubgraphContext) => governance.approveApplication(caller, args.id),
    refuseApplication: (_: unknown, args: { id: string; reason: string }, { caller, governance }: GovernanceSubgraphContext) =>
      governance.refuseApplication(caller, args.id, args.reason),
    revokeGrant: (_: unknown, args: { id: string; reason: string }, { caller, governance }: GovernanceSubgraphContext) => governance.revokeGrant(caller, args.id, args.reason),
  },
  SharingApplication: { fixedArguments: (row: { fixedArguments: unknown }) => asJson(row.fixedArguments) },
  Grant: { fixedArguments: (row: { fixedArguments: unknown }) => asJson(row.fixedArguments) },
};
