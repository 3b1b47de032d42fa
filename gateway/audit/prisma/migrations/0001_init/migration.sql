-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AuditOutcome" AS ENUM ('ALLOWED', 'PARTIAL', 'DENIED', 'FAILED', 'UNAUTHENTICATED', 'REJECTED');

-- CreateTable
CREATE TABLE "audit_record" (
    "seq" BIGINT NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "request_id" VARCHAR(64) NOT NULL,
    "app" VARCHAR(200),
    "token_id" VARCHAR(200),
    "purpose" VARCHAR(200),
    "operation_name" VARCHAR(200),
    "operation_hash" CHAR(64),
    "citizens" TEXT[],
    "requested_fields" TEXT[],
    "granted_fields" TEXT[],
    "denied_fields" TEXT[],
    "outcome" "AuditOutcome" NOT NULL,
    "data_released" BOOLEAN NOT NULL,
    "error_codes" TEXT[],
    "subgraphs" TEXT[],
    "latency_ms" INTEGER NOT NULL,
    "client_address" VARCHAR(64),
    "prev_hash" CHAR(64) NOT NULL,
    "hash" CHAR(64) NOT NULL,

    CONSTRAINT "audit_record_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_record_hash_key" ON "audit_record"("hash");

-- CreateIndex
CREATE INDEX "audit_record_time_idx" ON "audit_record"("time");

-- CreateIndex
CREATE INDEX "audit_record_app_time_idx" ON "audit_record"("app", "time");

-- CreateIndex
CREATE INDEX "audit_record_citizens_idx" ON "audit_record" USING GIN ("citizens");


-- Append-only: nobody changes or removes an audit record, whatever role it runs as.
-- (A superuser can still bypass triggers; `npm run audit -- verify` then finds the edit.)
CREATE FUNCTION audit_record_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_record_no_update_or_delete
  BEFORE UPDATE OR DELETE ON "audit_record"
  FOR EACH ROW EXECUTE FUNCTION audit_record_is_append_only();

CREATE TRIGGER audit_record_no_truncate
  BEFORE TRUNCATE ON "audit_record"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_record_is_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON "audit_record" FROM PUBLIC;
