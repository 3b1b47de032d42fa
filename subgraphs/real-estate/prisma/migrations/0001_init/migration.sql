-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "PropertyUsage" AS ENUM ('RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL');

-- CreateTable
CREATE TABLE "property" (
    "certificate_number" VARCHAR(64) NOT NULL,
    "city" VARCHAR(32) NOT NULL,
    "district" VARCHAR(32) NOT NULL,
    "address" VARCHAR(128) NOT NULL,
    "usage" "PropertyUsage" NOT NULL,
    "floor_area" DECIMAL(10,2) NOT NULL,
    "registered_on" DATE NOT NULL,
    "seized" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "property_pkey" PRIMARY KEY ("certificate_number")
);

-- CreateTable
CREATE TABLE "ownership" (
    "certificate_number" VARCHAR(64) NOT NULL,
    "citizen_id" CHAR(18) NOT NULL,
    "share" DECIMAL(5,4) NOT NULL,

    CONSTRAINT "ownership_pkey" PRIMARY KEY ("certificate_number","citizen_id")
);

-- CreateTable
CREATE TABLE "mortgage" (
    "certificate_number" VARCHAR(64) NOT NULL,
    "mortgagee" VARCHAR(128) NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "registered_on" DATE NOT NULL,
    "released_on" DATE,

    CONSTRAINT "mortgage_pkey" PRIMARY KEY ("certificate_number","registered_on","mortgagee")
);

-- CreateIndex
CREATE INDEX "ownership_citizen_id_idx" ON "ownership"("citizen_id");

-- AddForeignKey
ALTER TABLE "ownership" ADD CONSTRAINT "ownership_certificate_number_fkey" FOREIGN KEY ("certificate_number") REFERENCES "property"("certificate_number") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mortgage" ADD CONSTRAINT "mortgage_certificate_number_fkey" FOREIGN KEY ("certificate_number") REFERENCES "property"("certificate_number") ON DELETE RESTRICT ON UPDATE CASCADE;

