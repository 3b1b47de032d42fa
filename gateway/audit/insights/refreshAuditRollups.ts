/**
 * Brings the hourly rollups (migration 0004_audit_rollups) up to date with
 * audit_record: only the records after the watermark in audit_rollup_state
 * are read, by their `seq` primary key, and added to the hourly counts. The
 * request path never waits for this; auditSummary, auditAnomalies and
 * `npm run audit -- anomalies` call it before they read, so a view costs the
 * records since the last view, never a full scan.
 */
import type { PrismaClient } from "../prisma/generated/client.ts";
import { isPrismaSource, queryRollups, type RollupSource } from "./RollupSource.ts";

/** Serializes refreshes across gateway processes sharing one database. */
const ROLLUP_LOCK = 4_211_2027;

/** Most records one transaction rolls up. @default 50_000 */
const CHUNK = 50_000n;

/** The hour bucket of a record, in UTC. */
const HOUR = `date_trunc('hour', "time" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
const RANGE = `"seq" > $1 AND "seq" <= $2 AND "governance" IS NULL`;

/**
 * One statement for every rollup: the records in ($1, $2] are read once (by
 * `seq`, in each partition) and each data-modifying part adds them to its
 * table; all of it commits together with the watermark.
 */
const ROLL_UP = `WITH "r" AS MATERIALIZED (
     SELECT ${HOUR} AS "hour", coalesce("app", '') AS "app", coalesce("purpose", '') AS "purpose", "data_released", "outcome",
            "granted_fields", "denied_fields", "subgraphs", "citizens", "verifications"
     FROM "audit_record" WHERE ${RANGE}
   ), "hours" AS (
     INSERT INTO "audit_rollup_hour" ("hour", "app", "purpose", "requests", "reads", "denials")
     SELECT "hour", "app", "purpose", count(*),
            count(*) FILTER (WHERE "data_released"),
            count(*) FILTER (WHERE "outcome" = 'DENIED' OR cardinality("denied_fields") > 0)
     FROM "r" GROUP BY 1, 2, 3
     ON CONFLICT ("hour", "app", "purpose") DO UPDATE SET
       "requests" = "audit_rollup_hour"."requests" + excluded."requests",
       "reads" = "audit_rollup_hour"."reads" + excluded."reads",
       "denials" = "audit_rollup_hour"."denials" + excluded."denials"
     RETURNING 1
   ), "fields" AS (
     INSERT INTO "audit_rollup_field" ("hour", "app", "purpose", "field", "reads", "denials")
     SELECT "hour", "app", "purpose", "field", sum("granted"), sum("denied") FROM (
       SELECT "hour", "app", "purpose", unnest("granted_fields") AS "field", 1 AS "granted", 0 AS "denied" FROM "r"
       UNION ALL
       SELECT "hour", "app", "purpose", unnest("denied_fields"), 0, 1 FROM "r"
     ) AS "uses" GROUP BY 1, 2, 3, 4
     ON CONFLICT ("hour", "app", "purpose", "field") DO UPDATE SET
       "reads" = "audit_rollup_field"."reads" + excluded."reads",
       "denials" = "audit_rollup_field"."denials" + excluded."denials"
     RETURNING 1
   ), "agencies" AS (
     INSERT INTO "audit_rollup_agency" ("hour", "app", "agency", "reads")
     SELECT "hour", "app", "agency", count(*) FROM (
       SELECT "hour", "app", unnest("subgraphs") AS "agency" FROM "r" WHERE "data_released"
     ) AS "calls" GROUP BY 1, 2, 3
     ON CONFLICT ("hour", "app", "agency") DO UPDATE SET "reads" = "audit_rollup_agency"."reads" + excluded."reads"
     RETURNING 1
   ), "added" AS (
     -- Citizens new to an hour and app also count towards its distinct total; each row keeps the watermark
     -- it was added under, so a range's distinct count is updated from the new rows (countCitizensPerApp.ts).
     INSERT INTO "audit_rollup_citizen" ("hour", "app", "citizen", "added_at_seq")
     SELECT DISTINCT "hour", "app", unnest("citizens"), $2::bigint FROM "r" WHERE "data_released"
     ON CONFLICT DO NOTHING RETURNING "hour", "app"
   ), "reach" AS (
     INSERT INTO "audit_rollup_reach" ("hour", "app", "citizens")
     SELECT "hour", "app", count(*) FROM "added" GROUP BY 1, 2
     ON CONFLICT ("hour", "app") DO UPDATE SET "citizens" = "audit_rollup_reach"."citizens" + excluded."citizens"
     RETURNING 1
   ), "probes" AS (
     -- Each row keeps the watermark that last added to it: a kept THRESHOLD_PROBING result reads again only the
     -- (app, citizen, coordinate) touched since (probedCitizens.ts).
     INSERT INTO "audit_rollup_probe" ("hour", "app", "citizen", "coordinate", "arguments", "uses", "touched_at_seq")
     SELECT "hour", "app", "citizen", "coordinate", "arguments", count(*), $2::bigint FROM (
       SELECT "hour", "app", "use"->>'citizen' AS "citizen",
              "use"->>'coordinate' AS "coordinate", coalesce("use"->'arguments', '{}'::jsonb)::text AS "arguments"
       FROM "r", jsonb_array_elements("verifications") AS "use"
       WHERE jsonb_typeof("verifications") = 'array'
     ) AS "asked" WHERE "citizen" IS NOT NULL AND "coordinate" IS NOT NULL GROUP BY 1, 2, 3, 4, 5
     ON CONFLICT ("hour", "app", "citizen", "coordinate", "arguments") DO UPDATE SET
       "uses" = "audit_rollup_probe"."uses" + excluded."uses", "touched_at_seq" = excluded."touched_at_seq"
     RETURNING 1
   )
   UPDATE "audit_rollup_state" SET "seq" = $2 WHERE "id" = 1`;

/**
 * The roll-up of (from, to] on the driver, in one round trip: the lock and
 * the roll-up as one message of two statements, one implicit transaction (a
 * failure rolls both back). The bounds are written into the text (bigints
 * read from the database), so PostgreSQL plans for them: one month's
 * partition, by its `seq` index. They were read before the lock, so the
 * roll-up checks, under it, that the watermark is still `from`; if another
 * refresh moved it meanwhile, nothing is added and the next pass reads the
 * new one.
 */
function rollUpSql(from: bigint, to: bigint): string {
  const unchanged = `(SELECT "seq" FROM "audit_rollup_state" WHERE "id" = 1) = ${from}`;
  return `SELECT pg_advisory_xact_lock(${ROLLUP_LOCK}), set_config('synchronous_commit', 'off', true);
${ROLL_UP.replace(RANGE, `"seq" > ${from} AND "seq" <= ${to} AND "governance" IS NULL AND ${unchanged}`)
  .replaceAll(`$2::bigint`, `${to}::bigint`)
  .replace(`SET "seq" = $2 WHERE "id" = 1`, `SET "seq" = ${to} WHERE "id" = 1 AND "seq" = ${from}`)}`;
}

/** Rolls up every record committed since the last refresh. @returns how many seq values were covered */
export function refreshAuditRollups(source: RollupSource): Promise<bigint> {
  // One at a time per process: the page's two views arrive together, and the second then finds nothing new.
  const previous = running.get(source) ?? Promise.resolve(0n);
  const next = previous.catch(() => 0n).then(() => refreshOnce(source));
  running.set(source, next);
  void next.finally(() => {
    if (running.get(source) === next) running.delete(source);
  }).catch(() => {});
  return next;
}

const running = new WeakMap<RollupSource, Promise<bigint>>();

/**
 * The watermark and the newest record's seq: the chain head's, which the
 * writer moves in the statement that appends (one row, where max("seq") would
 * probe every month's partition).
 */
async function lagOf(source: RollupSource): Promise<{ from: bigint; last: bigint }> {
  const [row] = await queryRollups<Array<{ from: string | null; last: string | null }>>(
    source,
    `SELECT (SELECT "seq" FROM "audit_rollup_state" WHERE "id" = 1)::text AS "from", (SELECT "seq" FROM "audit_chain_head" WHERE "id")::text AS "last"`,
  );
  return { from: BigInt(row?.from ?? 0), last: BigInt(row?.last ?? 0) };
}

async function refreshOnce(source: RollupSource): Promise<bigint> {
  if (isPrismaSource(source)) return refreshWithPrisma(source);
  // Nothing new since the watermark (the usual case for a second view in a row): one read, no transaction.
  let covered = 0n;
  for (;;) {
    const { from, last } = await lagOf(source);
    if (last <= from) return covered;
    const step = last - from > CHUNK ? CHUNK : last - from;
    await source.exec(rollUpSql(from, from + step));
    covered += step;
    if (step < CHUNK) return covered;
  }
}

async function refreshWithPrisma(prisma: PrismaClient): Promise<bigint> {
  // Nothing new since the watermark (the usual case for a second view in a row): one read, no transaction.
  const { from, last } = await lagOf(prisma);
  if (last <= from) return 0n;
  let covered = 0n;
  for (;;) {
    const step = await prisma.$transaction(
      async (tx) => {
        // The rollups are derived from the log and move with their watermark in this one transaction: a crash can
        // lose only whole recent refreshes, which the next one redoes. So a view does not wait for a WAL flush here.
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${ROLLUP_LOCK}), set_config('synchronous_commit', 'off', true)`);
        const [row] = await tx.$queryRawUnsafe<Array<{ from: bigint | null; last: bigint | null }>>(
          `SELECT (SELECT "seq" FROM "audit_rollup_state" WHERE "id" = 1) AS "from", (SELECT max("seq") FROM "audit_record") AS "last"`,
        );
        const from = BigInt(row?.from ?? 0n);
        const last = row?.last === null || row?.last === undefined ? 0n : BigInt(row.last);
        if (last <= from) return 0n;
        const to = last - from > CHUNK ? from + CHUNK : last;
        await tx.$executeRawUnsafe(ROLL_UP, from, to);
        return to - from;
      },
      { maxWait: 10_000, timeout: 120_000 },
    );
    covered += step;
    if (step < CHUNK) return covered;
  }
}
