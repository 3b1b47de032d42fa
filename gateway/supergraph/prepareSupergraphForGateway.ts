/**
 * The copy of the supergraph that @apollo/gateway plans and shapes results with.
 *
 * 1. @apollo/gateway refuses a supergraph whose `@link`s are `for: SECURITY`
 *    ("is for: SECURITY but is unsupported"). The gateway enforces those
 *    directives itself, so the copy's security links carry no purpose.
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

function isSecurityPurpose(argument: ArgumentNode): boolean {
  return argument.name.value === "for" && argument.value.kind === Kind.ENUM && argument.value.value === "SECURITY";
}

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
      return { ...node, arguments: node.arguments.filter((argument) => !isSecurityPurpose(argument)) };
    },
  });
  return print(document);
}
