/**
 * Where the verification budget lives (see ./limitVerifications.ts): in
 * Redis when `REDIS_URL` is set, so every gateway process shares it, or else
 * in the gateway's own database, so a restart does not reset it. Each
 * (app, citizen pseudonym, field) keeps the distinct argument hashes it used
 * with the time of first use; a hash older than the window no longer counts.
 *
 * A request's uses are taken together, in one round trip: one pipelined batch
 * of a Lua script per key on Redis, one call of the database function
 * `verification_budget_take` (migration 0007) on PostgreSQL or PGlite, which
 * also takes, in the same call, the uses of the app's other requests that
 * arrived while its previous call was under way. Each
 * key's check is atomic: the script runs alone on Redis; the function holds
 * an advisory lock per key, taken in sorted order so that no two requests
 * deadlock.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import type { SqlSession } from "../../platform/database/applyMigrations.ts";
import type { VerificationBudget, VerificationBudgetUse } from "./limitVerifications.ts";

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

const CONNECT_WAIT_MS = 2_000;

type TakeVerification = (key: string, member: string, now: number, windowMs: number, limit: number) => Promise<number>;

export function createRedisVerificationBudget(url: string, limits: VerificationBudgetLimits, keyPrefix = "gateway:verify:"): VerificationBudget {
  // Auto-pipelining: the takes of one request (and of concurrent ones) share a round trip.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
  redis.on("error", () => {}); // reported by the failing command: the budget then refuses
  redis.defineCommand("takeVerification", { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const takeVerification = (redis as unknown as { takeVerification: TakeVerification }).takeVerification.bind(redis);
  // Commands are not queued while disconnected (a budget that cannot be checked is spent at once),
  // but the first requests after start wait briefly for the first connection.
  const connected = new Promise<void>((resolve) => {
    redis.once("ready", resolve);
    setTimeout(resolve, CONNECT_WAIT_MS).unref();
  });
  return {
    async take(app, uses) {
      if (redis.status !== "ready") await connected;
      const now = Date.now();
      const answers = await Promise.all(
        uses.map((use) =>
          takeVerification(`${keyPrefix}${sha256(`${app}\n${use.citizen}\n${use.coordinate}`)}`, sha256(use.argumentsKey), now, limits.windowMs, limits.distinctArguments),
        ),
      );
      return answers.map((answer) => answer === 1);
    },
    async close() {
      redis.disconnect();
    },
  };
}

const TAKE_STATEMENT = `SELECT "verification_budget_take"($1, $2::text[], $3::text[], $4::text[], $5::timestamptz, $6::bigint, $7::integer) AS allowed`;

interface WaitingTake {
  uses: VerificationBudgetUse[];
  resolve(answers: boolean[]): void;
  reject(error: unknown): void;
}

export function createDatabaseVerificationBudget(session: SqlSession, limits: VerificationBudgetLimits): VerificationBudget {
  /** Per app: whether a call is under way, and the takes that arrived meanwhile (they go together in the next call). */
  const apps = new Map<string, { running: boolean; waiting: WaitingTake[] }>();

  /** One call of the function for every waiting take of `app`, each answered with its own uses' answers. */
  async function takeTogether(app: string, takes: WaitingTake[]): Promise<void> {
    // Sorted by key across the group, so concurrent calls take their locks in one order.
    const order = takes
      .flatMap((take, owner) => take.uses.map((use, index) => ({ use, owner, index, key: `${use.citizen}\n${use.coordinate}` })))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    try {
      const [row] = await session.query<{ allowed: boolean[] }>(
        TAKE_STATEMENT,
        [
          app,
          order.map(({ use }) => use.citizen),
          order.map(({ use }) => use.coordinate),
          order.map(({ use }) => sha256(use.argumentsKey)),
          new Date().toISOString(),
          limits.windowMs,
          limits.distinctArguments,
        ],
        "verification_budget_take",
      );
      const answers = takes.map((take) => new Array<boolean>(take.uses.length));
      order.forEach(({ owner, index }, position) => {
        answers[owner]![index] = row?.allowed[position] === true;
      });
      takes.forEach((take, owner) => take.resolve(answers[owner]!));
    } catch (error) {
      for (const take of takes) take.reject(error);
    }
  }

  async function run(app: string): Promise<void> {
    const state = apps.get(app)!;
    state.running = true;
    while (state.waiting.length > 0) {
      const takes = state.waiting;
      state.waiting = [];
      await takeTogether(app, takes);
    }
    apps.delete(app);
  }

  return {
    /**
     * One call per request when requests come one at a time; requests of one
     * app that arrive while its call is under way wait for it and then go
     * together in one call (the function takes each key in turn, so the
     * answers are those of the requests taken one after another).
     */
    take(app, uses) {
      if (uses.length === 0) return Promise.resolve([]);
      return new Promise<boolean[]>((resolve, reject) => {
        let state = apps.get(app);
        if (!state) apps.set(app, (state = { running: false, waiting: [] }));
        state.waiting.push({ uses, resolve, reject });
        if (!state.running) void run(app);
      });
    },
    async close() {},
  };
}

/** VERIFICATION_BUDGETS_ENABLED=false: no shared budget; the per-request limit on verification fields still applies. */
export function unlimitedVerificationBudget(): VerificationBudget {
  return { take: async (_app, uses) => uses.map(() => true), close: async () => {} };
}
