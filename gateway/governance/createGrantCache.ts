/**
 * Active grants per (app, purpose), read from the gateway's database once and
 * kept until a grant of that pair changes (invalidate), until the earliest of
 * them expires, or for at most `maxAgeMs` as a safety net should an
 * invalidation message be lost. `version` changes on every invalidation, so
 * anything derived from grants can tell when it is stale.
 */
import type { ActiveGrants } from "./ActiveGrants.ts";

export interface GrantCacheOptions {
  load(app: string, purpose: string): Promise<ActiveGrants>;
  /** @default 60_000 */
  maxAgeMs?: number;
  /** @default 10_000 */
  maxEntries?: number;
}

export interface GrantCache {
  get(app: string, purpose: string): Promise<ActiveGrants>;
  /** Forgets one pair, or everything when called without arguments. */
  invalidate(app?: string, purpose?: string): void;
  version(): number;
}

export function createGrantCache(options: GrantCacheOptions): GrantCache {
  const maxAge = options.maxAgeMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { grants: Promise<ActiveGrants>; until: number; version: number }>();
  let version = 0;
  const keyOf = (app: string, purpose: string) => `${app}\n${purpose}`;

  return {
    get(app, purpose) {
      const key = keyOf(app, purpose);
      const now = Date.now();
      const cached = entries.get(key);
      if (cached && cached.until > now) return cached.grants;
      const loadedAt = version;
      const grants = options.load(app, purpose);
      const entry = { grants, until: now + maxAge, version: loadedAt };
      grants.then(
        (loaded) => {
          // An invalidation that arrived while loading wins: the entry is dropped.
          if (entries.get(key) === entry) {
            if (version !== loadedAt) entries.delete(key);
            else entry.until = Math.min(entry.until, loaded.validUntil);
          }
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, entry);
      return grants;
    },
    invalidate(app, purpose) {
      version++;
      if (app === undefined || purpose === undefined) entries.clear();
      else entries.delete(keyOf(app, purpose));
    },
    version: () => version,
  };
}
