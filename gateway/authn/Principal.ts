/** Who is calling, after the token was verified. Tagged by `kind`; the only kind today is an app. */
export interface AppPrincipal {
  kind: "app";
  /** The app's id (`sub`), e.g. `app:hpf-mobile`. */
  app: string;
  scopes: ReadonlySet<string>;
  /** The consenting citizens the app may read; null when the token is not bound to citizens. */
  citizens: ReadonlySet<string> | null;
  purpose: string;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
}

export type Principal = AppPrincipal;

/** A stable key of what a principal may see, for caches keyed by permissions. */
export function permissionKeyOf(principal: Principal): string {
  const citizens = principal.citizens ? [...principal.citizens].sort().join(",") : "*";
  return `${[...principal.scopes].sort().join(" ")}|${citizens}`;
}
