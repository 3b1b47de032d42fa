/** The contract of the gateway → subgraph token, shared by the signer (gateway) and the verifiers (subgraphs). */

/** Issuer of subgraph tokens; subgraphs accept no other. */
export const GATEWAY_ISSUER = "urn:gov-data-gateway:gateway";

/** The audience of one subgraph's tokens. */
export function subgraphAudience(subgraphName: string): string {
  return `urn:gov-data-gateway:subgraph:${subgraphName}`;
}
