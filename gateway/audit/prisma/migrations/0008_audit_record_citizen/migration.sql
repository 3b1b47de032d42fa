-- A citizen's records, newest first, in time proportional to the page.
--
-- The GIN index on `audit_record.citizens` finds a citizen's records but not
-- in `seq` order: a page of a busy citizen's newest records read through it
-- fetches and sorts all of that citizen's records in the month. This side
-- table holds one row per (citizen named, record): its btree on
-- (citizen, seq) is read backwards from the cursor, and each row joins its
-- record by the primary key (seq, committed_at), so a page costs its own rows.
--
-- It is derived from `audit_record.citizens`, like an index: written in the
-- same statement as the records (gateway/audit/createAuditWriter.ts), never
-- hashed, never archived. Append-only as the records are. On a PostgreSQL
-- server it is partitioned by the same months of `committed_at`
-- (`audit_record_citizen_YYYY_MM`, created with the record partitions by
-- `audit_ensure_partition`, dropped with them by retention); on PGlite, whose
-- `audit_record` is one table, it is one table too.
--
-- A gateway of an earlier version goes on writing records without their
-- citizens' rows (it knows nothing of this table): upgrade every gateway
-- writing to the database together, not one by one while others write.
--
-- What keeps it in step with the records, since neither the chain's
-- verification nor the archives look at it: it is written only in the same
-- statement as its records (the writer's compare-and-set, the bench's
-- seeder), so a commit has both or neither; it is append-only as they are
-- (triggers and REVOKEs, on every partition), so only a superuser bypassing
-- triggers can change it; and a read through it checks the record's own
-- `citizens`, so a forged row cannot show anyone a record that does not name
-- them. What such a superuser could still do is remove rows, hiding records
-- from citizen-filtered reads (the record itself stays, and verifies). This
-- finds that, per month, when run by hand (0 rows: in step):
--   SELECT r.seq FROM audit_record r, LATERAL (SELECT DISTINCT unnest(r.citizens)) c(citizen)
--    WHERE NOT EXISTS (SELECT 1 FROM audit_record_citizen s WHERE s.citizen = c.citizen AND s.seq = r.seq AND s.committed_at = r.committed_at)
--      AND r.committed_at >= '2026-11-01' AND r.committed_at < '2026-12-01';

CREATE FUNCTION audit_record_citizen_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_record_citizen is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Creates the month's partitions holding `at_time` if missing: the records'
-- (as in 0005) and their citizens'. A month that was archived and dropped is
-- created again for neither. Answers whether it created one.
CREATE OR REPLACE FUNCTION audit_ensure_partition(at_time timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  first_day timestamptz := date_trunc('month', at_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  suffix text := to_char(at_time AT TIME ZONE 'UTC', 'YYYY_MM');
  partition_name text := 'audit_record_' || suffix;
  citizen_partition_name text := 'audit_record_citizen_' || suffix;
  created boolean := false;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('audit_record')) THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(42112028);
  IF to_regclass(partition_name) IS NOT NULL AND to_regclass(citizen_partition_name) IS NOT NULL THEN
    RETURN false;
  END IF;
  IF to_regclass(partition_name) IS NULL THEN
    -- A month that was archived and dropped is not created again.
    IF to_regclass('audit_archive') IS NOT NULL AND EXISTS (
      SELECT 1 FROM audit_archive WHERE audit_archive.month = to_char(at_time AT TIME ZONE 'UTC', 'YYYY-MM') AND dropped_at IS NOT NULL
    ) THEN
      RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF audit_record FOR VALUES FROM (%L) TO (%L)',
      partition_name, first_day, first_day + interval '1 month');
    -- Row triggers are inherited from the parent, statement triggers are not.
    EXECUTE format('CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_record_is_append_only()', partition_name);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM PUBLIC', partition_name);
    created := true;
  END IF;
  IF to_regclass(citizen_partition_name) IS NULL AND to_regclass('audit_record_citizen') IS NOT NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF audit_record_citizen FOR VALUES FROM (%L) TO (%L)',
      citizen_partition_name, first_day, first_day + interval '1 month');
    EXECUTE format('CREATE TRIGGER audit_record_citizen_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_record_citizen_is_append_only()', citizen_partition_name);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM PUBLIC', citizen_partition_name);
    created := true;
  END IF;
  RETURN created;
END;
$$;

DO $$
DECLARE
  -- Partitioned exactly when the records are (0005 left PGlite's one table).
  partitioned boolean := EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('audit_record'));
  partition_name text;
BEGIN
  IF NOT partitioned THEN
    CREATE TABLE "audit_record_citizen" (
      "citizen" TEXT NOT NULL,
      "seq" BIGINT NOT NULL,
      "committed_at" TIMESTAMPTZ(3) NOT NULL
    );
  ELSE
    CREATE TABLE "audit_record_citizen" (
      "citizen" TEXT NOT NULL,
      "seq" BIGINT NOT NULL,
      "committed_at" TIMESTAMPTZ(3) NOT NULL
    ) PARTITION BY RANGE ("committed_at");
    -- A citizens' partition beside every records' partition there is (the months dropped by retention have neither).
    FOR partition_name IN
      SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'audit_record'::regclass AND c.relname ~ '^audit_record_[0-9]{4}_[0-9]{2}$'
    LOOP
      PERFORM audit_ensure_partition(to_date(substr(partition_name, 14), 'YYYY_MM')::timestamp AT TIME ZONE 'UTC');
    END LOOP;
  END IF;

  -- The records there are: one row per distinct citizen a record names. The index is built after, in one pass.
  INSERT INTO "audit_record_citizen" ("citizen", "seq", "committed_at")
  SELECT c.citizen, r."seq", r."committed_at"
    FROM "audit_record" AS r, LATERAL (SELECT DISTINCT u.citizen FROM unnest(r."citizens") AS u(citizen) WHERE u.citizen IS NOT NULL) AS c;

  -- committed_at rides along in the index: the window on it is checked, and the record joined, from the index alone.
  CREATE INDEX "audit_record_citizen_citizen_seq_idx" ON "audit_record_citizen" ("citizen", "seq") INCLUDE ("committed_at");

  CREATE TRIGGER audit_record_citizen_no_update_or_delete
    BEFORE UPDATE OR DELETE ON "audit_record_citizen"
    FOR EACH ROW EXECUTE FUNCTION audit_record_citizen_is_append_only();
  CREATE TRIGGER audit_record_citizen_no_truncate
    BEFORE TRUNCATE ON "audit_record_citizen"
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_citizen_is_append_only();
  REVOKE UPDATE, DELETE, TRUNCATE ON "audit_record_citizen" FROM PUBLIC;
END;
$$;

ANALYZE "audit_record_citizen";
