/**
 * @apollo/gateway refuses a supergraph whose `@link`s are `for: SECURITY`
 * ("is for: SECURITY but is unsupported"). The gateway enforces those
 * directives itself (see ../authz), so it hands @apollo/gateway a copy whose
 * security links carry no purpose; everything else is unchanged.
 */
import { Kind, parse, print, visit, type ArgumentNode } from "graphql";

function isSecurityPurpose(argument: ArgumentNode): boolean {
  return argument.name.value === "for" && argument.value.kind === Kind.ENUM && argument.value.value === "SECURITY";
}

export function prepareSupergraphForGateway(supergraphSdl: string): string {
  const document = visit(parse(supergraphSdl), {
    Directive(node) {
      if (node.name.value !== "link" || !node.arguments?.some(isSecurityPurpose)) return undefined;
      return { ...node, arguments: node.arguments.filter((argument) => !isSecurityPurpose(argument)) };
    },
  });
  return print(document);
}
