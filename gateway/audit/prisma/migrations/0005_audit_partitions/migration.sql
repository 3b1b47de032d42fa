-- The audit log at scale.
--
-- On a PostgreSQL server `audit_record` becomes a table partitioned by month
-- of `committed_at` (UTC), one partition per month, created ahead of time by
-- `audit_ensure_partitions` (the gateway calls it at start and daily). Since
-- `committed_at` never decreases along `seq`, each month holds one unbroken
-- stretch of the chain: what `npm run audit -- archive --month` writes out and
-- what AUDIT_RETENTION_MONTHS later drops. The embedded PGlite database stays
-- one table. Either way the reads get keyset indexes (filter, then `seq`).
--
-- The copy into the partitioned table is column-generic (`LIKE` + `SELECT *`),
-- so columns added by earlier migrations come along.

-- Creates the month's partition holding `at_time` if missing,
-- with the append-only TRUNCATE trigger (row triggers are inherited from the
-- parent, statement triggers are not). Answers whether it created one.
CREATE FUNCTION audit_ensure_partition(at_time timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  first_day timestamptz := date_trunc('month', at_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  partition_name text := 'audit_record_' || to_char(at_time AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('audit_record')) THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(42112028);
  IF to_regclass(partition_name) IS NOT NULL THEN
    RETURN false;
  END IF;
  -- A month that was archived and dropped is not created again.
  IF to_regclass('audit_archive') IS NOT NULL AND EXISTS (
    SELECT 1 FROM audit_archive WHERE audit_archive.month = to_char(at_time AT TIME ZONE 'UTC', 'YYYY-MM') AND dropped_at IS NOT NULL
  ) THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF audit_record FOR VALUES FROM (%L) TO (%L)',
    partition_name, first_day, first_day + interval '1 month');
  EXECUTE format('CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_record_is_append_only()', partition_name);
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM PUBLIC', partition_name);
  RETURN true;
END;
$$;

-- The current month's partition and `months_ahead` more. Answers how many it created.
CREATE FUNCTION audit_ensure_partitions(months_ahead integer DEFAULT 3) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  created integer := 0;
BEGIN
  FOR i IN 0..months_ahead LOOP
    IF audit_ensure_partition(now() + make_interval(months => i)) THEN
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END;
$$;

-- What was archived: one row per month, written by `npm run audit -- archive`.
-- `verified_at`: the archive file was read back and matched the database.
-- `dropped_at`: retention dropped the month's partition.
CREATE TABLE "audit_archive" (
    "month" CHAR(7) NOT NULL,
    "first_seq" BIGINT NOT NULL,
    "last_seq" BIGINT NOT NULL,
    "first_prev_hash" CHAR(64) NOT NULL,
    "last_hash" CHAR(64) NOT NULL,
    "count" BIGINT NOT NULL,
    "file" TEXT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "manifest_jws" TEXT NOT NULL,
    "archived_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "verified_at" TIMESTAMPTZ(3),
    "dropped_at" TIMESTAMPTZ(3),
    CONSTRAINT "audit_archive_pkey" PRIMARY KEY ("month")
);

-- Where `npm run audit -- verify` last stopped: a signed head it verified.
CREATE TABLE "audit_verify_checkpoint" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "seq" BIGINT NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "signed_head" TEXT NOT NULL,
    "verified_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "audit_verify_checkpoint_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_verify_checkpoint_one_row" CHECK ("id")
);

DO $$
DECLARE
  embedded boolean := version() LIKE '%emscripten%' OR version() LIKE '%wasm%';
  first_month timestamptz;
BEGIN
  IF embedded THEN
    DROP INDEX IF EXISTS "audit_record_app_time_idx";
    CREATE INDEX "audit_record_app_seq_idx" ON "audit_record" ("app", "seq");
    CREATE INDEX "audit_record_requested_fields_idx" ON "audit_record" USING GIN ("requested_fields");
    RETURN;
  END IF;

  CREATE TABLE "audit_record_partitioned" (LIKE "audit_record" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE ("committed_at");
  ALTER TABLE "audit_record" RENAME TO "audit_record_unpartitioned";
  ALTER TABLE "audit_record_partitioned" RENAME TO "audit_record";
  SELECT min("committed_at") INTO first_month FROM "audit_record_unpartitioned";
  first_month := coalesce(first_month, now());
  WHILE first_month < now() LOOP
    PERFORM audit_ensure_partition(first_month);
    first_month := first_month + interval '1 month';
  END LOOP;
  PERFORM audit_ensure_partitions(3);
  INSERT INTO "audit_record" SELECT * FROM "audit_record_unpartitioned" ORDER BY "seq";
  DROP TABLE "audit_record_unpartitioned";

  -- The partition key is part of every unique index; seq stays unique by construction (the head row).
  ALTER TABLE "audit_record" ADD CONSTRAINT "audit_record_pkey" PRIMARY KEY ("seq", "committed_at");
  CREATE INDEX "audit_record_time_idx" ON "audit_record" ("time");
  CREATE INDEX "audit_record_app_seq_idx" ON "audit_record" ("app", "seq");
  CREATE INDEX "audit_record_citizens_idx" ON "audit_record" USING GIN ("citizens");
  CREATE INDEX "audit_record_requested_fields_idx" ON "audit_record" USING GIN ("requested_fields");

  CREATE TRIGGER audit_record_no_update_or_delete
    BEFORE UPDATE OR DELETE ON "audit_record"
    FOR EACH ROW EXECUTE FUNCTION audit_record_is_append_only();
  CREATE TRIGGER audit_record_no_truncate
    BEFORE TRUNCATE ON "audit_record"
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_is_append_only();
  REVOKE UPDATE, DELETE, TRUNCATE ON "audit_record" FROM PUBLIC;
END;
$$;
