/** Who is calling, after the token was verified. Tagged by `kind`; the only kind today is an app. */
export interface AppPrincipal {
  kind: "app";
  /** The app's id (`sub`), e.g. `app:hpf-mobile`. */
  app: string;
  scopes: ReadonlySet<string>;
  /** The scopes sorted and space-joined: a stable key for caches of decisions by scope set. */
  scopeKey: string;
  /** The consenting citizens the app may read; null when the token is not bound to citizens. */
  citizens: ReadonlySet<string> | null;
  purpose: string;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
}

export type Principal = AppPrincipal;

