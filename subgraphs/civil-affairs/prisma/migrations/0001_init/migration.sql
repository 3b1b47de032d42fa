-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Gender" AS ENUM ('MALE', 'FEMALE');

-- CreateEnum
CREATE TYPE "MaritalStatus" AS ENUM ('SINGLE', 'MARRIED', 'DIVORCED', 'WIDOWED');

-- CreateEnum
CREATE TYPE "MarriageRecordKind" AS ENUM ('MARRIAGE', 'DIVORCE');

-- CreateTable
CREATE TABLE "citizen" (
    "id" CHAR(18) NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "gender" "Gender" NOT NULL,
    "birth_date" DATE NOT NULL,
    "marital_status" "MaritalStatus" NOT NULL,

    CONSTRAINT "citizen_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "marriage_record" (
    "citizen_id" CHAR(18) NOT NULL,
    "partner_id" CHAR(18) NOT NULL,
    "kind" "MarriageRecordKind" NOT NULL,
    "registered_on" DATE NOT NULL,
    "registry_office" VARCHAR(128) NOT NULL,

    CONSTRAINT "marriage_record_pkey" PRIMARY KEY ("citizen_id","registered_on","kind")
);

-- AddForeignKey
ALTER TABLE "marriage_record" ADD CONSTRAINT "marriage_record_citizen_id_fkey" FOREIGN KEY ("citizen_id") REFERENCES "citizen"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

