/**
 * The verification budget's two stores under concurrency, on the real
 * database (PGlite, or PostgreSQL with DATABASE_URL, where requests really
 * race on a pool) and on Redis when it is up: however many requests race for
 * one (app, citizen, field), no more than the allowed number of distinct
 * arguments is ever granted; a repeated argument is always granted; a request
 * taking several fields gets one answer per field, in order; two requests
 * taking the same fields in opposite orders do not deadlock.
 */
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseVerificationBudget, createRedisVerificationBudget } from "../../gateway/authz/createVerificationBudget.ts";
import type { VerificationBudget } from "../../gateway/authz/limitVerifications.ts";
import { PrismaClient as AuditPrismaClient } from "../../gateway/audit/prisma/generated/client.ts";
import { openDatabase, type Database } from "../../platform/database/openDatabase.ts";
import { listening } from "../security/support/hostile.ts";
import { testDatabase } from "../support/startSystem.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const redisUp = await listening(new URL(REDIS_URL).hostname, Number(new URL(REDIS_URL).port || 6379));
const LIMITS = { distinctArguments: 3, windowMs: 60_000 };
const FIELD = "Citizen.incomeAtLeast";


let database: Database<AuditPrismaClient>;

beforeAll(async () => {
  database = await openDatabase({
    location: await testDatabase("verification_budget", "gateway"),
    migrationsDir: fileURLToPath(new URL("../../gateway/audit/prisma/migrations", import.meta.url)),
    createClient: (options) => new AuditPrismaClient(options),
    poolSize: 16,
  });
});
afterAll(async () => {
  await database?.close();
});

const databaseStore = () => createDatabaseVerificationBudget(database.session, LIMITS);
const redisStore = () => createRedisVerificationBudget(REDIS_URL, LIMITS, `test:verify:${randomUUID()}:`);

describe.each([
  ["the gateway's database", false],
  ["Redis", true],
] as const)("the verification budget in %s", (_name, onRedis) => {
  let budget: VerificationBudget;
  beforeAll(() => {
    if (onRedis && !redisUp) return;
    budget = onRedis ? redisStore() : databaseStore();
  });
  afterAll(async () => {
    await budget?.close();
  });

  it.skipIf(onRedis && !redisUp)("40 concurrent requests with 40 thresholds for one citizen: exactly 3 are granted", async () => {
    const app = `app:budget-${randomUUID().slice(0, 8)}`;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => budget.take(app, [{ citizen: "citizen-a", coordinate: FIELD, argumentsKey: `{"amount":${i * 1000}}` }])),
    );
    expect(answers.flat().filter(Boolean)).toHaveLength(3);
    // Another citizen, and another app, each have a budget of their own.
    expect(await budget.take(app, [{ citizen: "citizen-b", coordinate: FIELD, argumentsKey: `{"amount":1}` }])).toEqual([true]);
    expect(await budget.take(`${app}-other`, [{ citizen: "citizen-a", coordinate: FIELD, argumentsKey: `{"amount":1}` }])).toEqual([true]);
  });

  it.skipIf(onRedis && !redisUp)("a threshold already used is granted again, however often, even with the budget spent", async () => {
    const app = `app:budget-${randomUUID().slice(0, 8)}`;
    const use = (amount: number) => ({ citizen: "citizen-a", coordinate: FIELD, argumentsKey: `{"amount":${amount}}` });
    expect(await budget.take(app, [use(1), use(2), use(3)].map((u) => u))).toEqual([true, true, true]);
    expect(await budget.take(app, [use(4)])).toEqual([false]);
    const again = await Promise.all(Array.from({ length: 20 }, (_, i) => budget.take(app, [use((i % 3) + 1)])));
    expect(again.flat()).toEqual(Array(20).fill(true));
  });

  it.skipIf(onRedis && !redisUp)("one request's several fields get one answer each, in the order asked", async () => {
    const app = `app:budget-${randomUUID().slice(0, 8)}`;
    const spent = Array.from({ length: 3 }, (_, i) => ({ citizen: "citizen-z", coordinate: FIELD, argumentsKey: `{"amount":${i}}` }));
    await budget.take(app, spent);
    const answers = await budget.take(app, [
      { citizen: "citizen-z", coordinate: "Citizen.isDishonestDebtor", argumentsKey: "{}" },
      { citizen: "citizen-z", coordinate: FIELD, argumentsKey: `{"amount":99}` },
      { citizen: "citizen-a", coordinate: FIELD, argumentsKey: `{"amount":99}` },
    ]);
    expect(answers).toEqual([true, false, true]);
  });

  it.skipIf(onRedis && !redisUp)("requests taking the same fields in opposite orders all finish, without deadlock", async () => {
    const app = `app:budget-${randomUUID().slice(0, 8)}`;
    const uses = ["a", "b", "c", "d"].map((citizen) => ({ citizen, coordinate: FIELD, argumentsKey: `{"amount":5}` }));
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => budget.take(app, i % 2 ? uses : [...uses].reverse())));
    expect(answers.flat().every(Boolean)).toBe(true);
  });

  it.skipIf(onRedis && !redisUp)("concurrent requests of one app with several fields each: every request gets its own answers, in its order, within the budget", async () => {
    const app = `app:budget-${randomUUID().slice(0, 8)}`;
    // 24 requests over 4 citizens, 6 thresholds each: per citizen exactly 3 are granted; the unbudgeted-argument field always is.
    const requests = Array.from({ length: 24 }, (_, i) => [
      { citizen: `citizen-${i % 4}`, coordinate: "Citizen.isDishonestDebtor", argumentsKey: "{}" },
      { citizen: `citizen-${i % 4}`, coordinate: FIELD, argumentsKey: `{"amount":${i}}` },
    ]);
    const answers = await Promise.all(requests.map((uses) => budget.take(app, uses)));
    answers.forEach((answer) => expect(answer).toHaveLength(2));
    expect(answers.map((answer) => answer[0])).toEqual(Array(24).fill(true));
    for (let citizen = 0; citizen < 4; citizen++) {
      expect(answers.filter((_, i) => i % 4 === citizen && answers[i]![1]).length, `citizen-${citizen}`).toBe(3);
    }
  });
});
