-- Hourly rollups for auditSummary and the anomaly rules, maintained
-- incrementally from audit_rollup_state.seq (gateway/audit/insights/refreshAuditRollups.ts).
-- CreateTable
CREATE TABLE "audit_rollup_state" (
    "id" SMALLINT NOT NULL,
    "seq" BIGINT NOT NULL,

    CONSTRAINT "audit_rollup_state_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_rollup_hour" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "purpose" VARCHAR(200) NOT NULL,
    "requests" INTEGER NOT NULL,
    "reads" INTEGER NOT NULL,
    "denials" INTEGER NOT NULL,

    CONSTRAINT "audit_rollup_hour_pkey" PRIMARY KEY ("hour","app","purpose")
);

-- CreateTable
CREATE TABLE "audit_rollup_field" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "purpose" VARCHAR(200) NOT NULL,
    "field" VARCHAR(300) NOT NULL,
    "reads" INTEGER NOT NULL,
    "denials" INTEGER NOT NULL,

    CONSTRAINT "audit_rollup_field_pkey" PRIMARY KEY ("hour","app","purpose","field")
);

-- CreateTable
CREATE TABLE "audit_rollup_agency" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "agency" VARCHAR(100) NOT NULL,
    "reads" INTEGER NOT NULL,

    CONSTRAINT "audit_rollup_agency_pkey" PRIMARY KEY ("hour","app","agency")
);

-- CreateTable
CREATE TABLE "audit_rollup_citizen" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "citizen" TEXT NOT NULL,

    CONSTRAINT "audit_rollup_citizen_pkey" PRIMARY KEY ("hour","app","citizen")
);

-- CreateTable
CREATE TABLE "audit_rollup_reach" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "citizens" INTEGER NOT NULL,

    CONSTRAINT "audit_rollup_reach_pkey" PRIMARY KEY ("hour","app")
);

-- CreateTable
CREATE TABLE "audit_rollup_probe" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "citizen" TEXT NOT NULL,
    "coordinate" VARCHAR(300) NOT NULL,
    "arguments" TEXT NOT NULL,
    "uses" INTEGER NOT NULL,

    CONSTRAINT "audit_rollup_probe_pkey" PRIMARY KEY ("hour","app","citizen","coordinate","arguments")
);

-- Nothing rolled up yet.
INSERT INTO "audit_rollup_state" ("id", "seq") VALUES (1, 0);
