/**
 * A service's connections to a PostgreSQL server stay warm: the first
 * statement on a new connection costs tens of milliseconds (a backend forked,
 * the partitions' catalog loaded as it plans), so half the pool, once open,
 * is kept through quiet spells and only the connections above it close when
 * idle. Checked by the server's own backend ids.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient as AuditPrismaClient } from "../../gateway/audit/prisma/generated/client.ts";
import { openDatabase, type Database } from "../../platform/database/openDatabase.ts";
import { testDatabase, usingPostgres } from "../support/startSystem.ts";

describe.skipIf(!usingPostgres)("the database pool on a PostgreSQL server", () => {
  let database: Database<AuditPrismaClient>;
  const IDLE_MS = 300;

  beforeAll(async () => {
    database = await openDatabase({
      location: await testDatabase("pool", "gateway"),
      migrationsDir: fileURLToPath(new URL("../../gateway/audit/prisma/migrations", import.meta.url)),
      createClient: (options) => new AuditPrismaClient(options),
      poolSize: 6,
      idleTimeoutMs: IDLE_MS,
    });
  });
  afterAll(async () => {
    await database?.close();
  });

  /** `count` statements at once, each on its own connection: the backend ids they ran on. */
  const burst = async (count: number) =>
    new Set((await Promise.all(Array.from({ length: count }, () => database.session.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.05)")))).map(([row]) => row!.pid));

  it("keeps half the pool's connections open through a quiet spell, and closes the rest", async () => {
    const first = await burst(6);
    expect(first.size).toBe(6);
    expect(database.poolStats()).toMatchObject({ total: 6 });
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
    expect(database.poolStats()).toMatchObject({ total: 3, idle: 3 });
    // The three kept are the same backends: no statement after the pause pays for a new one.
    const kept = await burst(3);
    expect(kept.size).toBe(3);
    for (const pid of kept) expect(first.has(pid)).toBe(true);
  });
});
