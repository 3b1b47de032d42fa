/**
 * Where the verification budget lives (see ./limitVerifications.ts): in
 * Redis when `REDIS_URL` is set, so every gateway process shares it, or else
 * in the gateway's own database, so a restart does not reset it. Each
 * (app, citizen pseudonym, field) keeps the distinct argument hashes it used
 * with the time of first use; a hash older than the window no longer counts.
 * A check is atomic: one Lua script, or one transaction under an advisory
 * lock of that key.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import type { PrismaClient } from "../audit/prisma/generated/client.ts";
import type { VerificationBudget } from "./limitVerifications.ts";

export interface VerificationBudgetLimits {
  /** Distinct argument values per (app, citizen, field) and window. @default 3 */
  distinctArguments: number;
  /** @default 24 h */
  windowMs: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

// KEYS[1] the (app, citizen, field) set; ARGV: member, now, window, limit. Returns 1 allowed, 0 spent.
const TAKE_SCRIPT = `
local now, window, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], window)
return 1`;

export function createRedisVerificationBudget(url: string, limits: VerificationBudgetLimits, keyPrefix = "gateway:verify:"): VerificationBudget {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on("error", () => {}); // reported by the failing command: the budget then refuses
  redis.defineCommand("takeVerification", { numberOfKeys: 1, lua: TAKE_SCRIPT });
  return {
    async take(app, citizen, coordinate, argumentsKey) {
      const key = `${keyPrefix}${sha256(`${app}\n${citizen}\n${coordinate}`)}`;
      const allowed = await (redis as unknown as { takeVerification(...args: unknown[]): Promise<number> }).takeVerification(
        key,
        sha256(argumentsKey),
        Date.now(),
        limits.windowMs,
        limits.distinctArguments,
      );
      return allowed === 1;
    },
    async close() {
      redis.disconnect();
    },
  };
}

export function createDatabaseVerificationBudget(prisma: PrismaClient, limits: VerificationBudgetLimits): VerificationBudget {
  return {
    async take(app, citizen, coordinate, argumentsKey) {
      const argumentsHash = sha256(argumentsKey);
      const now = new Date();
      const since = new Date(now.getTime() - limits.windowMs);
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`${app}\n${citizen}\n${coordinate}`}))`;
        await tx.$executeRaw`DELETE FROM verification_budget WHERE app = ${app} AND citizen = ${citizen} AND coordinate = ${coordinate} AND first_used <= ${since}`;
        const used = await tx.$queryRaw<Array<{ arguments_hash: string }>>`
          SELECT arguments_hash FROM verification_budget WHERE app = ${app} AND citizen = ${citizen} AND coordinate = ${coordinate}`;
        if (used.some((row) => row.arguments_hash === argumentsHash)) return true;
        if (used.length >= limits.distinctArguments) return false;
        await tx.$executeRaw`INSERT INTO verification_budget (app, citizen, coordinate, arguments_hash, first_used) VALUES (${app}, ${citizen}, ${coordinate}, ${argumentsHash}, ${now})`;
        return true;
      });
    },
    async close() {},
  };
}

/** VERIFICATION_BUDGETS_ENABLED=false: no shared budget; the per-request limit on verification fields still applies. */
export function unlimitedVerificationBudget(): VerificationBudget {
  return { take: async () => true, close: async () => {} };
}
