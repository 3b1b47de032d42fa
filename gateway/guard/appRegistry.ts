/**
 * The app registry: per app, an optional safelist of registered operations
 * (persisted queries, known by SHA-256 of their text) and an optional rate
 * limit. A JSON file, read once at start (APP_REGISTRY):
 *
 * ```json
 * { "apps": {
 *     "app:hpf-mobile": {
 *       "safelist": true,
 *       "operations": ["query HpfEligibility($id: ID!) { citizen(id: $id) { housingFundContributedMonths(atLeast: 12) } }"],
 *       "rateLimit": { "perSecond": 20, "burst": 40 }
 *     } } }
 * ```
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: the most requests in one burst. */
  burst: number;
}

export interface RegisteredApp {
  /** Only registered operations are accepted from this app. */
  safelist: boolean;
  /** Registered operation text by SHA-256 (hex) of the text. */
  operations: ReadonlyMap<string, string>;
  rateLimit?: RateLimit;
}

export type AppRegistry = ReadonlyMap<string, RegisteredApp>;

/** SHA-256 (hex) of an operation's text, as apps send it in `extensions.persistedQuery.sha256Hash`. */
export function operationHashOf(query: string): string {
  return createHash("sha256").update(query).digest("hex");
}

function positive(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

/** @throws Error naming the file and the first problem */
export function loadAppRegistry(path: string | undefined): AppRegistry {
  const registry = new Map<string, RegisteredApp>();
  if (!path) return registry;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new Error(`APP_REGISTRY ${path} is not readable JSON`);
  }
  const apps = (raw as { apps?: unknown }).apps;
  if (typeof apps !== "object" || apps === null) throw new Error(`APP_REGISTRY ${path}: expected { "apps": { ... } }`);
  for (const [app, entry] of Object.entries(apps as Record<string, any>)) {
    const operations = new Map<string, string>();
    for (const text of entry?.operations ?? []) {
      if (typeof text !== "string" || text.trim() === "") throw new Error(`APP_REGISTRY ${path}: ${app}.operations must be operation texts`);
      operations.set(operationHashOf(text), text);
    }
    const rateLimit = entry?.rateLimit;
    if (rateLimit !== undefined && !(positive(rateLimit.perSecond) && positive(rateLimit.burst))) {
      throw new Error(`APP_REGISTRY ${path}: ${app}.rateLimit needs positive perSecond and burst`);
    }
    registry.set(app, { safelist: entry?.safelist === true, operations, rateLimit });
  }
  return registry;
}
