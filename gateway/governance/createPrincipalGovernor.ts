/**
 * Purpose binding on the request path, between authentication and
 * authorization: the scopes a request may use are the token's scopes
 * intersected with the scopes of the app's active grants for the token's
 * `purpose`. Only the catalog's (agency data) scopes are governed; others
 * (`audit:read`, `self:access-log`, `schema:introspect`,
 * `grants:approve:<agency>`) pass as the token has them. The governed
 * principal keeps what it lost in `ungrantedScopes`, so that a denial can
 * say NO_GRANT rather than SCOPE; subgraph tokens carry the reduced scopes.
 */
import type { Principal } from "../authn/Principal.ts";
import type { GrantCache } from "./createGrantCache.ts";

export interface PrincipalGovernorOptions {
  governedScopes: ReadonlySet<string>;
  grants: GrantCache;
  log?(message: string, error: unknown): void;
}

export function createPrincipalGovernor(options: PrincipalGovernorOptions): (principal: Principal) => Promise<Principal> {
  const { governedScopes, grants } = options;
  // Verified principals are reused per token; their governed copy is reused while grants are unchanged.
  const governed = new WeakMap<Principal, { version: number; until: number; principal: Principal }>();

  return async function govern(principal) {
    const known = governed.get(principal);
    const now = Date.now();
    if (known && known.version === grants.version() && known.until > now) return known.principal;
    const version = grants.version();
    const asked = [...principal.scopes].filter((scope) => governedScopes.has(scope));
    if (asked.length === 0) return principal;
    let active: Awaited<ReturnType<GrantCache["get"]>>;
    try {
      active = await grants.get(principal.app, principal.purpose);
    } catch (error) {
      // Grants unknown: deny by default (the agencies' data needs a grant).
      options.log?.("grants could not be read; governed scopes withheld", error);
      active = { scopes: new Set(), fixedArguments: new Map(), validUntil: 0 };
    }
    const ungranted = asked.filter((scope) => !active.scopes.has(scope));
    let result: Principal = principal;
    if (ungranted.length > 0) {
      const scopes = new Set([...principal.scopes].filter((scope) => !ungranted.includes(scope)));
      result = { ...principal, scopes, scopeKey: [...scopes].sort().join(" "), ungrantedScopes: new Set(ungranted) };
    }
    if (active.fixedArguments.size > 0) result = { ...result, fixedArguments: active.fixedArguments };
    governed.set(principal, { version, until: Math.min(active.validUntil, principal.expiresAt * 1000), principal: result });
    return result;
  };
}
