-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "income_record" (
    "citizen_id" CHAR(18) NOT NULL,
    "year" INTEGER NOT NULL,
    "total_income" DECIMAL(14,2) NOT NULL,
    "tax_paid" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "income_record_pkey" PRIMARY KEY ("citizen_id","year")
);

-- CreateTable
CREATE TABLE "deed_tax" (
    "certificate_number" VARCHAR(64) NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "paid_on" DATE NOT NULL,

    CONSTRAINT "deed_tax_pkey" PRIMARY KEY ("certificate_number")
);

