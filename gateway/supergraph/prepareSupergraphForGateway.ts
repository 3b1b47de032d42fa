/**
 * The copy of the supergraph that @apollo/gateway plans and shapes results with.
 *
 * 1. @apollo/gateway refuses a supergraph whose `@link`s are `for: SECURITY`
 *    ("is for: SECURITY but is unsupported"). The gateway enforces three of
 *    those features itself (`@authenticated`, `@requiresScopes`, `@policy`),
 *    so their links lose the purpose in the copy. Any other `for: SECURITY`
 *    feature is one nobody here enforces: the gateway refuses to start,
 *    naming it, rather than serve a graph whose security it ignores.
 * 2. Output fields lose their non-null wrappers. The gateway does not
 *    propagate errors (the "onError: NULL" behaviour proposed for the GraphQL
 *    spec): a field that is forbidden or whose agency is down comes back
 *    `null` with an error at its own path, and its parent and every other
 *    agency's data still arrive. Subgraphs still enforce their non-null types
 *    themselves, and the published supergraph keeps the standard's types.
 */
import { Kind, parse, print, visit, type ArgumentNode, type TypeNode } from "graphql";

function nullable(type: TypeNode): TypeNode {
  const inner = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
  return inner.kind === Kind.LIST_TYPE ? { ...inner, type: nullable(inner.type) } : inner;
}

/** The security features whose semantics the gateway enforces (gateway/authz). */
const ENFORCED_SECURITY_FEATURES = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes|policy)\/v\d+\.\d+$/;

/** A supergraph link `for: SECURITY` whose feature the gateway does not enforce. */
export class UnsupportedSecurityFeatureError extends Error {
  constructor(readonly url: string) {
    super(`The supergraph links ${url} for: SECURITY, which this gateway does not enforce; refusing to start`);
  }
}

function isSecurityPurpose(argument: ArgumentNode): boolean {
  return argument.name.value === "for" && argument.value.kind === Kind.ENUM && argument.value.value === "SECURITY";
}

/** @throws UnsupportedSecurityFeatureError for a `for: SECURITY` link the gateway does not enforce */
export function prepareSupergraphForGateway(supergraphSdl: string): string {
  const document = visit(parse(supergraphSdl), {
    ObjectTypeDefinition(node) {
      return { ...node, fields: node.fields?.map((field) => ({ ...field, type: nullable(field.type) })) };
    },
    InterfaceTypeDefinition(node) {
      return { ...node, fields: node.fields?.map((field) => ({ ...field, type: nullable(field.type) })) };
    },
    Directive(node) {
      if (node.name.value !== "link" || !node.arguments?.some(isSecurityPurpose)) return undefined;
      const url = node.arguments.find((argument) => argument.name.value === "url")?.value;
      const link = url?.kind === Kind.STRING ? url.value : String(url && print(url));
      if (!ENFORCED_SECURITY_FEATURES.test(link)) throw new UnsupportedSecurityFeatureError(link);
      return { ...node, arguments: node.arguments.filter((argument) => !isSecurityPurpose(argument)) };
    },
  });
  return print(document);
}
