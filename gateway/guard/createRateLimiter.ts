/**
 * A token bucket per app: in this process's memory by default, or in Redis
 * (REDIS_URL) so that several gateway processes share one budget per app.
 * The Redis bucket is updated atomically by one Lua script per request.
 */
import { Redis } from "ioredis";
import type { Logger } from "../../platform/logging/createLogger.ts";
import type { RateLimit } from "./appRegistry.ts";

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one request would be allowed (when refused). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(app: string, limit: RateLimit): Promise<RateDecision>;
  close(): Promise<void>;
}

/** Refills `bucket` to `now` and takes one token if it can. */
function takeToken(bucket: { tokens: number; at: number }, limit: RateLimit, now: number): RateDecision {
  bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
  bucket.at = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { allowed: true, retryAfterSeconds: 0 };
  }
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
}

export interface MemoryRateLimiterOptions {
  /** Buckets kept at most; beyond it the least recently created are dropped. @default 100_000 */
  maxBuckets?: number;
  /** The clock (tests). @default Date.now */
  now?: () => number;
}

export interface MemoryRateLimiter extends RateLimiter {
  /** How many buckets are held now. */
  buckets(): number;
}

interface MemoryBucket {
  tokens: number;
  at: number;
  /** When the bucket is full again: from then on it is the same as no bucket. */
  fullAt: number;
}

/** How often, at the most, full buckets are looked for. */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * The buckets live in a Map keyed by app (or by client address before a
 * token is verified, which anyone can vary). A bucket that has refilled is
 * the same as a missing one, so full buckets are dropped in a sweep at most
 * every ten seconds (and whenever the map doubles), and the map never holds
 * more than `maxBuckets`: past it the oldest go first, which gives their
 * callers a fresh burst rather than letting distinct addresses grow the heap.
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): MemoryRateLimiter {
  const maxBuckets = options.maxBuckets ?? 100_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, MemoryBucket>();
  let lastSweep = now();
  let sizeAfterSweep = 0;

  const sweep = (time: number) => {
    for (const [key, bucket] of buckets) if (bucket.fullAt <= time) buckets.delete(key);
    lastSweep = time;
    sizeAfterSweep = buckets.size;
  };

  return {
    async take(app, limit) {
      const time = now();
      if (time - lastSweep >= SWEEP_INTERVAL_MS || buckets.size > 2 * sizeAfterSweep + 1024) sweep(time);
      let bucket = buckets.get(app);
      if (!bucket) {
        if (buckets.size >= maxBuckets) buckets.delete(buckets.keys().next().value!);
        bucket = { tokens: limit.burst, at: time, fullAt: time };
        buckets.set(app, bucket);
      }
      const decision = takeToken(bucket, limit, time);
      bucket.fullAt = time + ((limit.burst - bucket.tokens) / limit.perSecond) * 1000;
      return decision;
    },
    buckets: () => buckets.size,
    async close() {},
  };
}

// KEYS[1] bucket; ARGV: perSecond, burst, now (ms). Returns { allowed (0|1), retryAfterSeconds }.
const TAKE_SCRIPT = `
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local allowed, retry = 0, math.max(1, math.ceil((1 - tokens) / rate))
if tokens >= 1 then tokens = tokens - 1; allowed = 1; retry = 0 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return { allowed, retry }`;

export function createRedisRateLimiter(url: string, logger?: Logger): RateLimiter {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  // One line when Redis is lost and one when it is back, not one per reconnect attempt.
  let down = false;
  redis.on("error", (error) => {
    if (down) return;
    down = true;
    logger?.error({ err: error }, "Redis unavailable: rate limits are not enforced until it returns");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger?.info("Redis available again: rate limits enforced");
  });
  redis.defineCommand("takeToken", { numberOfKeys: 1, lua: TAKE_SCRIPT });
  return {
    async take(app, limit) {
      const [allowed, retry] = (await (redis as unknown as { takeToken(...args: unknown[]): Promise<[number, number]> }).takeToken(
        `gateway:rate:${app}`,
        limit.perSecond,
        limit.burst,
        Date.now(),
      )) as [number, number];
      return { allowed: allowed === 1, retryAfterSeconds: retry };
    },
    async close() {
      redis.disconnect();
    },
  };
}
