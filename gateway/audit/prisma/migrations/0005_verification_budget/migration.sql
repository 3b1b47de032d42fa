-- The verification budget: which distinct arguments each app used for each
-- (citizen pseudonym, verification field), and when first. Held beside the
-- audit log so that a restart does not reset it (REDIS_URL moves it to Redis).
CREATE TABLE "verification_budget" (
  "app" TEXT NOT NULL,
  "citizen" TEXT NOT NULL,
  "coordinate" TEXT NOT NULL,
  "arguments_hash" TEXT NOT NULL,
  "first_used" TIMESTAMPTZ NOT NULL,
  PRIMARY KEY ("app", "citizen", "coordinate", "arguments_hash")
);
CREATE INDEX "verification_budget_first_used_idx" ON "verification_budget" ("first_used");
