-- Data-sharing governance: registered apps, applications and grants (gateway/governance/).
-- CreateTable
CREATE TABLE "governance_app" (
    "app" VARCHAR(200) NOT NULL,
    "department" VARCHAR(200) NOT NULL,
    "contact" VARCHAR(200) NOT NULL,
    "registered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "registered_by" VARCHAR(200) NOT NULL,

    CONSTRAINT "governance_app_pkey" PRIMARY KEY ("app")
);

-- CreateTable
CREATE TABLE "governance_application" (
    "id" VARCHAR(64) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "purpose" VARCHAR(200) NOT NULL,
    "agency" VARCHAR(64) NOT NULL,
    "scopes" TEXT[],
    "pending_scopes" TEXT[],
    "description" TEXT NOT NULL,
    "legal_basis" TEXT NOT NULL,
    "scenario" TEXT NOT NULL,
    "duration_days" INTEGER NOT NULL,
    "fixed_arguments" JSONB,
    "status" VARCHAR(16) NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL,
    "applied_by" VARCHAR(200) NOT NULL,
    "decided_at" TIMESTAMPTZ(3),
    "decided_by" VARCHAR(200),
    "reason" TEXT,

    CONSTRAINT "governance_application_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "governance_grant" (
    "id" VARCHAR(64) NOT NULL,
    "application_id" VARCHAR(64) NOT NULL,
    "app" VARCHAR(200) NOT NULL,
    "purpose" VARCHAR(200) NOT NULL,
    "agency" VARCHAR(64) NOT NULL,
    "scopes" TEXT[],
    "fixed_arguments" JSONB,
    "granted_at" TIMESTAMPTZ(3) NOT NULL,
    "granted_by" VARCHAR(200) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by" VARCHAR(200),
    "revoke_reason" TEXT,
    "expiry_recorded_at" TIMESTAMPTZ(3),

    CONSTRAINT "governance_grant_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "governance_application_agency_status_idx" ON "governance_application"("agency", "status");

-- CreateIndex
CREATE INDEX "governance_application_app_purpose_idx" ON "governance_application"("app", "purpose");

-- CreateIndex
CREATE INDEX "governance_grant_app_purpose_idx" ON "governance_grant"("app", "purpose");

-- CreateIndex
CREATE INDEX "governance_grant_agency_idx" ON "governance_grant"("agency");

