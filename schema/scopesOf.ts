import { parse } from "graphql";
import { readAccessRequirements } from "../platform/security/accessRequirements.ts";

/** Every scope a supergraph's @requiresScopes declarations mention, sorted. */
export function scopesOf(supergraphSdl: string): string[] {
  const { fields, types } = readAccessRequirements(parse(supergraphSdl));
  const scopes = new Set<string>();
  for (const requirement of [...fields.values(), ...types.values()]) {
    for (const usage of requirement.scopes) for (const group of usage) for (const scope of group) scopes.add(scope);
  }
  return [...scopes].sort();
}
