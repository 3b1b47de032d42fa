/**
 * Defense in depth: each subgraph enforces the same rules as the gateway, so
 * a leaked subgraph port or a gateway bug exposes nothing.
 *
 * - Scopes: every field's resolver is wrapped with the one pure check
 *   (`isAllowed`), driven by the subgraph SDL's own directives.
 * - Citizen binding: when the caller is bound to citizens, every field that
 *   returns a Citizen (root fields, spouse, partner, owner) and every Citizen
 *   entity reference refuses other citizens with FORBIDDEN, before any read
 *   where the id is an argument, so the answer never reveals whether they exist.
 */
import { Kind, visit, type DocumentNode, type TypeNode } from "graphql";
import { defaultFieldResolver, getNamedType, isListType, isNonNullType, isObjectType, type GraphQLFieldResolver, type GraphQLOutputType, type GraphQLSchema } from "graphql";
import { ErrorCode, ServiceError } from "../errors.ts";
import { ForbiddenReason } from "../forbiddenReason.ts";
import { isAllowed, scopeSetsOf, type AccessRequirement, type AccessRequirements, type AccessSubject } from "../security/accessRequirements.ts";
import type { SubgraphCaller } from "./createGatewayTokenVerifier.ts";

const CITIZEN = "Citizen";

/** Per-request record of the citizens whose fields were resolved or refused, reported to the gateway for the audit log. */
export interface CitizenTracking {
  citizensRead?: Set<string>;
}

function touch(context: CitizenTracking, id: unknown): void {
  if (typeof id === "string") context.citizensRead?.add(id);
}

function forbidden(reason: ForbiddenReason, requirement?: AccessRequirement | null): ServiceError {
  const requiredScopes = scopeSetsOf(requirement ?? null);
  return new ServiceError(ErrorCode.FORBIDDEN, "Not authorized to read this field", {
    reason,
    ...(requiredScopes.length > 0 ? { requiredScopes } : {}),
  });
}

function isBound(caller: SubgraphCaller, id: unknown): boolean {
  return caller.citizens === null || (typeof id === "string" && caller.citizens.has(id));
}

function returnsList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** The caller as isAllowed sees it, made once per verified caller (a large answer resolves thousands of fields). */
const subjects = new WeakMap<SubgraphCaller, AccessSubject>();
function subjectOf(caller: SubgraphCaller): AccessSubject {
  let subject = subjects.get(caller);
  if (!subject) subjects.set(caller, (subject = { authenticated: true, scopes: caller.scopes }));
  return subject;
}

type Resolver = GraphQLFieldResolver<unknown, { caller: SubgraphCaller } & CitizenTracking>;

/** A field that returns a Citizen, for a caller bound to citizens: other citizens are refused, before any read where the id is an argument. */
async function resolveBound(resolve: Resolver, list: boolean, ...[source, args, context, info]: Parameters<Resolver>): Promise<unknown> {
  const { caller } = context;
  if ("id" in args && !isBound(caller, args.id)) {
    touch(context, args.id);
    throw forbidden(ForbiddenReason.CITIZEN_NOT_BOUND);
  }
  if (Array.isArray(args.ids) && list) {
    const ids = args.ids as string[];
    const allowed = ids.filter((id) => isBound(caller, id));
    const result = (await resolve(source, { ...args, ids: allowed }, context, info)) as unknown[];
    let next = 0;
    return ids.map((id) => (isBound(caller, id) ? result[next++] : forbidden(ForbiddenReason.CITIZEN_NOT_BOUND)));
  }
  const result = await resolve(source, args, context, info);
  if (list && Array.isArray(result)) return result.map((item) => (item == null || isBound(caller, (item as { id?: unknown }).id) ? item : forbidden(ForbiddenReason.CITIZEN_NOT_BOUND)));
  if (result != null && !isBound(caller, (result as { id?: unknown }).id)) throw forbidden(ForbiddenReason.CITIZEN_NOT_BOUND);
  return result;
}

/** Wraps the schema's resolvers in place. */
export function enforceAccess(schema: GraphQLSchema, requirements: AccessRequirements): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    const typeRequirement = requirements.types.get(type.name);
    for (const field of Object.values(type.getFields())) {
      if (field.name === "_service" || field.name === "_entities") continue;
      const requirement = requirements.fields.get(`${type.name}.${field.name}`) ?? typeRequirement;
      const returnsCitizen = getNamedType(field.type).name === CITIZEN;
      const list = returnsList(field.type);
      const resolve: Resolver = field.resolve ?? defaultFieldResolver;
      const ofCitizen = type.name === CITIZEN;
      // Synchronous unless citizen binding applies: a promise per field would cost every large answer.
      field.resolve = (source, args, context, info) => {
        const { caller } = context;
        if (ofCitizen) touch(context, (source as { id?: unknown }).id);
        if (!isAllowed(requirement, subjectOf(caller))) throw forbidden(ForbiddenReason.SCOPE, requirement);
        if (!returnsCitizen || caller.citizens === null) return resolve(source, args, context, info);
        return resolveBound(resolve, list, source, args, context, info);
      };
    }
  }
  // @apollo/subgraph keeps __resolveReference at extensions.apollo.subgraph.resolveReference.
  const citizen = schema.getType(CITIZEN);
  if (citizen && isObjectType(citizen)) {
    const extensions = citizen.extensions as { apollo?: { subgraph?: { resolveReference?: Function } } };
    const apollo = ((extensions as Record<string, unknown>).apollo ??= {}) as { subgraph?: { resolveReference?: Function } };
    const subgraph = (apollo.subgraph ??= {});
    const resolveReference = subgraph.resolveReference ?? ((reference: unknown) => reference);
    subgraph.resolveReference = (reference: { id?: unknown }, context: { caller: SubgraphCaller } & CitizenTracking, info: unknown) => {
      touch(context, reference.id);
      // Rejected rather than thrown, so that only this representation fails (`_entities.<i>`).
      if (!isBound(context.caller, reference.id)) return Promise.reject(forbidden(ForbiddenReason.CITIZEN_NOT_BOUND));
      return resolveReference(reference, context, info);
    };
  }
}

/**
 * The subgraph's executable SDL: fields that lead to a Citizen may be refused
 * by citizen binding, so they lose their non-null wrappers here; a refused
 * co-owner then costs only its own `owner` field, not the property. The
 * published SDL (composition) keeps the standard's types.
 */
export function relaxCitizenFields(typeDefs: DocumentNode): DocumentNode {
  const relax = (type: TypeNode): TypeNode => {
    const inner = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
    return inner.kind === Kind.LIST_TYPE ? { ...inner, type: relax(inner.type) } : inner;
  };
  const namedTypeOf = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type));
  return visit(typeDefs, {
    FieldDefinition(field) {
      return namedTypeOf(field.type) === CITIZEN ? { ...field, type: relax(field.type) } : undefined;
    },
  });
}
