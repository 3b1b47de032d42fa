-- The rollup refresh as one function (gateway/audit/insights/refreshAuditRollups.ts):
-- one round trip per view, a plan PL/pgSQL keeps for the session instead of a
-- statement of six upserts planned afresh each time, and reads of the records
-- after the watermark limited to the months they can be in.
--
-- `committed_at` is the commit time of the watermark's record. Records after
-- it were committed no earlier (committed_at never decreases along seq), so
-- `committed_at >= watermark_at` lets PostgreSQL skip every older month's
-- partition when it starts the statement, not only find nothing in it.
ALTER TABLE "audit_rollup_state" ADD COLUMN "committed_at" TIMESTAMPTZ(3);

-- Rolls up at most `chunk` records after the watermark (if any were
-- written), moves the watermark past them, and answers the new watermark,
-- how many seq values it rolled up, whether more records wait, and what the records in (since, watermark]
-- changed: the first and last hour (as record times) of every record, of
-- those that released citizens' data, and of those with verifications
-- (rollupChanges.ts). `since` NULL: no changes asked for. `since_at`: the
-- commit time of `since`'s record, if known (a lower bound for the read).
--
-- Refreshes from any number of gateway processes are serialized by the
-- advisory lock; under it the watermark is read again, so a refresh that
-- waited adds only what the one before it did not. The rollups are derived
-- from the log and move with their watermark in this one transaction, so
-- they commit without waiting for the WAL flush: a crash loses only whole
-- recent refreshes, which the next one redoes.
CREATE FUNCTION audit_rollup_advance(since bigint, since_at timestamptz, chunk bigint,
  OUT watermark bigint, OUT watermark_at timestamptz, OUT rolled_up bigint, OUT more boolean,
  OUT first_time timestamptz, OUT last_time timestamptz,
  OUT first_citizen_time timestamptz, OUT last_citizen_time timestamptz,
  OUT first_probe_time timestamptz, OUT last_probe_time timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  head bigint;
  to_seq bigint;
  to_at timestamptz;
BEGIN
  SELECT s."seq", s."committed_at" INTO watermark, watermark_at FROM "audit_rollup_state" AS s WHERE s."id" = 1;
  SELECT h."seq" INTO head FROM "audit_chain_head" AS h WHERE h."id";
  head := coalesce(head, 0);
  rolled_up := 0;
  IF head > watermark THEN
    PERFORM pg_advisory_xact_lock(42112027);
    PERFORM set_config('synchronous_commit', 'off', true);
    -- A new snapshot: what a refresh that held the lock before committed.
    SELECT s."seq", s."committed_at" INTO watermark, watermark_at FROM "audit_rollup_state" AS s WHERE s."id" = 1;
    to_seq := least(head, watermark + chunk);
    IF to_seq > watermark THEN
      WITH "records" AS MATERIALIZED (
        SELECT "seq", "committed_at", "governance", date_trunc('hour', "time" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS "hour",
               coalesce("app", '') AS "app", coalesce("purpose", '') AS "purpose", "data_released", "outcome",
               "granted_fields", "denied_fields", "subgraphs", "citizens", "verifications"
        FROM "audit_record"
        WHERE "seq" > watermark AND "seq" <= to_seq AND "committed_at" >= coalesce(watermark_at, '-infinity'::timestamptz)
      ), "r" AS (
        -- Governance actions (applications, grants) are in the chain but are not data reads.
        SELECT * FROM "records" WHERE "governance" IS NULL
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
        SELECT DISTINCT "hour", "app", unnest("citizens"), to_seq FROM "r" WHERE "data_released"
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
        SELECT "hour", "app", "citizen", "coordinate", "arguments", count(*), to_seq FROM (
          SELECT "hour", "app", "use"->>'citizen' AS "citizen",
                 "use"->>'coordinate' AS "coordinate", coalesce("use"->'arguments', '{}'::jsonb)::text AS "arguments"
          FROM "r", jsonb_array_elements("verifications") AS "use"
          WHERE jsonb_typeof("verifications") = 'array'
        ) AS "asked" WHERE "citizen" IS NOT NULL AND "coordinate" IS NOT NULL GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT ("hour", "app", "citizen", "coordinate", "arguments") DO UPDATE SET
          "uses" = "audit_rollup_probe"."uses" + excluded."uses", "touched_at_seq" = excluded."touched_at_seq"
        RETURNING 1
      )
      SELECT max("committed_at") INTO to_at FROM "records";
      UPDATE "audit_rollup_state" SET "seq" = to_seq, "committed_at" = coalesce(to_at, "committed_at") WHERE "id" = 1;
      rolled_up := to_seq - watermark;
      watermark := to_seq;
      watermark_at := coalesce(to_at, watermark_at);
    END IF;
  END IF;
  more := head > watermark;
  IF since IS NOT NULL AND since < watermark THEN
    SELECT min("time"), max("time"),
           min("time") FILTER (WHERE "data_released" AND cardinality("citizens") > 0),
           max("time") FILTER (WHERE "data_released" AND cardinality("citizens") > 0),
           min("time") FILTER (WHERE jsonb_typeof("verifications") = 'array'),
           max("time") FILTER (WHERE jsonb_typeof("verifications") = 'array')
      INTO first_time, last_time, first_citizen_time, last_citizen_time, first_probe_time, last_probe_time
      FROM "audit_record"
      WHERE "seq" > since AND "seq" <= watermark AND "governance" IS NULL
        AND "committed_at" >= coalesce(since_at, '-infinity'::timestamptz);
  END IF;
END;
$$;
