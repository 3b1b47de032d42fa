/** Who is calling, after the token was verified. Tagged by `kind`; the only kind today is an app. */
export interface AppPrincipal {
  kind: "app";
  /** The app's id (`sub`), e.g. `app:hpf-mobile`. */
  app: string;
  /** The scopes this request may use: the token's, less those no active grant covers (gateway/governance/). */
  scopes: ReadonlySet<string>;
  /** Scopes the token holds but no active grant of the owning agency covers for its purpose; absent when none. */
  ungrantedScopes?: ReadonlySet<string>;
  /** Arguments the app's grants fix for verification fields, by coordinate (e.g. `Citizen.incomeAtLeast` → `{ amount: "100000.00" }`). */
  fixedArguments?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
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

