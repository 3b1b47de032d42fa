-- What the rollup refreshes added, by watermark, so that a range's distinct
-- citizens per app (gateway/audit/insights/countCitizensPerApp.ts) and its
-- probed citizens (probedCitizens.ts, below) are kept up to date instead of
-- counted again.
--
-- Each (hour, app, citizen) row now records the rollup watermark of the
-- refresh that added it (`added_at_seq`, the `seq` audit_rollup_state moved
-- to in that same transaction; NULL for rows rolled up before this
-- migration, which count as old). A view that counted a range as of
-- watermark W then adds, at W', only the rows added in (W, W'] whose
-- (app, citizen) appears in no other hour of the range as of W: a few index
-- probes per newly seen citizen, however many the range holds.
ALTER TABLE "audit_rollup_citizen" ADD COLUMN "added_at_seq" BIGINT;
CREATE INDEX "audit_rollup_citizen_added_at_seq_idx" ON "audit_rollup_citizen" ("added_at_seq") WHERE "added_at_seq" IS NOT NULL;
CREATE INDEX "audit_rollup_citizen_app_citizen_hour_idx" ON "audit_rollup_citizen" ("app", "citizen", "hour");

-- Likewise the verification probes (THRESHOLD_PROBING, probedCitizens.ts): each
-- row records the watermark of the refresh that last added to it, so a kept
-- result reads again only the (app, citizen, coordinate) touched since.
ALTER TABLE "audit_rollup_probe" ADD COLUMN "touched_at_seq" BIGINT;
CREATE INDEX "audit_rollup_probe_touched_at_seq_idx" ON "audit_rollup_probe" ("touched_at_seq") WHERE "touched_at_seq" IS NOT NULL;
CREATE INDEX "audit_rollup_probe_app_citizen_coordinate_hour_idx" ON "audit_rollup_probe" ("app", "citizen", "coordinate", "hour");
