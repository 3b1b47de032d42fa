-- The chain's head in one row: the audit writer extends the chain with one
-- compare-and-set statement per group commit (the head row moves from the
-- seq and hash the writer expects to the batch's last, and the batch is
-- inserted only if it did), instead of locking and reading the last record.
--
-- Records gain `committed_at`: the time their group was committed, never
-- earlier than the previous group's, so it grows with `seq`. It is not part
-- of the hashed record (the canonical form stays audit-v1/audit-v2); it is
-- what the monthly partitions, archives and retention go by.
CREATE TABLE "audit_chain_head" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "seq" BIGINT NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "committed_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_chain_head_one_row" CHECK ("id")
);

ALTER TABLE "audit_record" ADD COLUMN "committed_at" TIMESTAMPTZ(3);

-- Existing records: the latest request time up to each one (non-decreasing in seq).
ALTER TABLE "audit_record" DISABLE TRIGGER USER;
UPDATE "audit_record" AS r SET "committed_at" = m."committed_at"
  FROM (SELECT "seq", max("time") OVER (ORDER BY "seq") AS "committed_at" FROM "audit_record") AS m
  WHERE m."seq" = r."seq";
ALTER TABLE "audit_record" ENABLE TRIGGER USER;
ALTER TABLE "audit_record" ALTER COLUMN "committed_at" SET DEFAULT now();
ALTER TABLE "audit_record" ALTER COLUMN "committed_at" SET NOT NULL;

INSERT INTO "audit_chain_head" ("seq", "hash", "committed_at")
SELECT coalesce(max("seq"), 0),
       coalesce((SELECT "hash" FROM "audit_record" ORDER BY "seq" DESC LIMIT 1), repeat('0', 64)),
       coalesce(max("committed_at"), '1970-01-01T00:00:00Z')
  FROM "audit_record";
