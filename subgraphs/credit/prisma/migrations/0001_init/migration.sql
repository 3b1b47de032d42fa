-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "credit_report" (
    "citizen_id" CHAR(18) NOT NULL,
    "score" INTEGER NOT NULL,
    "rating" VARCHAR(8) NOT NULL,
    "dishonest_debtor" BOOLEAN NOT NULL,
    "overdue_accounts" INTEGER NOT NULL,
    "updated_on" DATE NOT NULL,

    CONSTRAINT "credit_report_pkey" PRIMARY KEY ("citizen_id")
);

