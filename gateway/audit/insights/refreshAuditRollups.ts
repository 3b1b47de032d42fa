/**
 * Brings the hourly rollups (migration 0004_audit_rollups) up to date with
 * audit_record: only the records after the watermark in audit_rollup_state
 * are read, by their `seq` primary key, and added to the hourly counts. The
 * request path never waits for this; auditSummary, auditAnomalies and
 * `npm run audit -- anomalies` call it before they read, so a view costs the
 * records since the last view, never a full scan.
 */
import type { PrismaClient } from "../prisma/generated/client.ts";

/** Serializes refreshes across gateway processes sharing one database. */
const ROLLUP_LOCK = 4_211_2027;

/** Most records one transaction rolls up. @default 50_000 */
const CHUNK = 50_000n;

/** The hour bucket of a record, in UTC. */
const HOUR = `date_trunc('hour', "time" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
const RANGE = `"seq" > $1 AND "seq" <= $2 AND "governance" IS NULL`;

const STATEMENTS = [
  `INSERT INTO "audit_rollup_hour" ("hour", "app", "purpose", "requests", "reads", "denials")
   SELECT ${HOUR}, coalesce("app", ''), coalesce("purpose", ''), count(*),
          count(*) FILTER (WHERE "data_released"),
          count(*) FILTER (WHERE "outcome" = 'DENIED' OR cardinality("denied_fields") > 0)
   FROM "audit_record" WHERE ${RANGE} GROUP BY 1, 2, 3
   ON CONFLICT ("hour", "app", "purpose") DO UPDATE SET
     "requests" = "audit_rollup_hour"."requests" + excluded."requests",
     "reads" = "audit_rollup_hour"."reads" + excluded."reads",
     "denials" = "audit_rollup_hour"."denials" + excluded."denials"`,
  `INSERT INTO "audit_rollup_field" ("hour", "app", "purpose", "field", "reads", "denials")
   SELECT "hour", "app", "purpose", "field", sum("granted"), sum("denied") FROM (
     SELECT ${HOUR} AS "hour", coalesce("app", '') AS "app", coalesce("purpose", '') AS "purpose",
            unnest("granted_fields") AS "field", 1 AS "granted", 0 AS "denied"
     FROM "audit_record" WHERE ${RANGE}
     UNION ALL
     SELECT ${HOUR}, coalesce("app", ''), coalesce("purpose", ''), unnest("denied_fields"), 0, 1
     FROM "audit_record" WHERE ${RANGE}
   ) AS "uses" GROUP BY 1, 2, 3, 4
   ON CONFLICT ("hour", "app", "purpose", "field") DO UPDATE SET
     "reads" = "audit_rollup_field"."reads" + excluded."reads",
     "denials" = "audit_rollup_field"."denials" + excluded."denials"`,
  `INSERT INTO "audit_rollup_agency" ("hour", "app", "agency", "reads")
   SELECT "hour", "app", "agency", count(*) FROM (
     SELECT ${HOUR} AS "hour", coalesce("app", '') AS "app", unnest("subgraphs") AS "agency"
     FROM "audit_record" WHERE ${RANGE} AND "data_released"
   ) AS "calls" GROUP BY 1, 2, 3
   ON CONFLICT ("hour", "app", "agency") DO UPDATE SET "reads" = "audit_rollup_agency"."reads" + excluded."reads"`,
  // Citizens new to an hour and app also count towards its distinct total.
  `WITH "added" AS (
     INSERT INTO "audit_rollup_citizen" ("hour", "app", "citizen")
     SELECT DISTINCT ${HOUR}, coalesce("app", ''), unnest("citizens")
     FROM "audit_record" WHERE ${RANGE} AND "data_released"
     ON CONFLICT DO NOTHING RETURNING "hour", "app")
   INSERT INTO "audit_rollup_reach" ("hour", "app", "citizens")
   SELECT "hour", "app", count(*) FROM "added" GROUP BY 1, 2
   ON CONFLICT ("hour", "app") DO UPDATE SET "citizens" = "audit_rollup_reach"."citizens" + excluded."citizens"`,
  `INSERT INTO "audit_rollup_probe" ("hour", "app", "citizen", "coordinate", "arguments", "uses")
   SELECT "hour", "app", "citizen", "coordinate", "arguments", count(*) FROM (
     SELECT ${HOUR} AS "hour", coalesce("app", '') AS "app", "use"->>'citizen' AS "citizen",
            "use"->>'coordinate' AS "coordinate", coalesce("use"->'arguments', '{}'::jsonb)::text AS "arguments"
     FROM "audit_record", jsonb_array_elements("verifications") AS "use"
     WHERE ${RANGE} AND jsonb_typeof("verifications") = 'array'
   ) AS "asked" WHERE "citizen" IS NOT NULL AND "coordinate" IS NOT NULL GROUP BY 1, 2, 3, 4, 5
   ON CONFLICT ("hour", "app", "citizen", "coordinate", "arguments") DO UPDATE SET "uses" = "audit_rollup_probe"."uses" + excluded."uses"`,
];

/** Rolls up every record committed since the last refresh. @returns how many seq values were covered */
export async function refreshAuditRollups(prisma: PrismaClient): Promise<bigint> {
  let covered = 0n;
  for (;;) {
    const step = await prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${ROLLUP_LOCK})`);
        const [state] = await tx.$queryRawUnsafe<Array<{ seq: bigint }>>(`SELECT "seq" FROM "audit_rollup_state" WHERE "id" = 1`);
        const [head] = await tx.$queryRawUnsafe<Array<{ seq: bigint | null }>>(`SELECT max("seq") AS "seq" FROM "audit_record"`);
        const from = BigInt(state?.seq ?? 0n);
        const last = head?.seq === null || head?.seq === undefined ? 0n : BigInt(head.seq);
        if (last <= from) return 0n;
        const to = last - from > CHUNK ? from + CHUNK : last;
        for (const statement of STATEMENTS) await tx.$executeRawUnsafe(statement, from, to);
        await tx.$executeRawUnsafe(`UPDATE "audit_rollup_state" SET "seq" = $1 WHERE "id" = 1`, to);
        return to - from;
      },
      { maxWait: 10_000, timeout: 120_000 },
    );
    covered += step;
    if (step < CHUNK) return covered;
  }
}
