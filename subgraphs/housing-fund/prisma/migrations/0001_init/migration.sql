-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AccountStatus" AS ENUM ('ACTIVE', 'SEALED', 'CLOSED');

-- CreateEnum
CREATE TYPE "LoanStatus" AS ENUM ('ACTIVE', 'SETTLED');

-- CreateTable
CREATE TABLE "account" (
    "account_number" VARCHAR(32) NOT NULL,
    "citizen_id" CHAR(18) NOT NULL,
    "status" "AccountStatus" NOT NULL,
    "employer_name" VARCHAR(128) NOT NULL,
    "employer_credit_code" CHAR(18) NOT NULL,
    "opened_on" DATE NOT NULL,
    "monthly_deposit" DECIMAL(14,2) NOT NULL,
    "balance" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "account_pkey" PRIMARY KEY ("account_number")
);

-- CreateTable
CREATE TABLE "contribution" (
    "account_number" VARCHAR(32) NOT NULL,
    "month" CHAR(7) NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "contribution_pkey" PRIMARY KEY ("account_number","month")
);

-- CreateTable
CREATE TABLE "loan" (
    "loan_number" VARCHAR(32) NOT NULL,
    "account_number" VARCHAR(32) NOT NULL,
    "principal" DECIMAL(14,2) NOT NULL,
    "outstanding" DECIMAL(14,2) NOT NULL,
    "status" "LoanStatus" NOT NULL,
    "collateral_certificate" VARCHAR(64),

    CONSTRAINT "loan_pkey" PRIMARY KEY ("loan_number")
);

-- CreateIndex
CREATE UNIQUE INDEX "account_citizen_id_key" ON "account"("citizen_id");

-- CreateIndex
CREATE INDEX "loan_account_number_idx" ON "loan"("account_number");

-- AddForeignKey
ALTER TABLE "contribution" ADD CONSTRAINT "contribution_account_number_fkey" FOREIGN KEY ("account_number") REFERENCES "account"("account_number") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "loan" ADD CONSTRAINT "loan_account_number_fkey" FOREIGN KEY ("account_number") REFERENCES "account"("account_number") ON DELETE RESTRICT ON UPDATE CASCADE;

