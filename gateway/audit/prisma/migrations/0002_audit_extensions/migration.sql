-- Records gain the verification fields they evaluated (with the app's
-- arguments) and the governance action they record. Both null on older rows,
-- whose canonical form stays audit-v1.
ALTER TABLE "audit_record" ADD COLUMN "verifications" JSONB;
ALTER TABLE "audit_record" ADD COLUMN "governance" JSONB;
