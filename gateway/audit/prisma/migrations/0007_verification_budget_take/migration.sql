-- One round trip per request for the verification budget: takes every
-- (citizen, coordinate, arguments hash) of one app's request in one call.
-- Each key is serialized by a transaction-scoped advisory lock; PL/pgSQL
-- runs each statement on a fresh snapshot, so a statement after the lock sees
-- every use committed by whoever held it before. Callers pass keys sorted, so
-- two requests lock in the same order and cannot deadlock.
-- Returns, per key in order, true (allowed) or false (budget spent).
CREATE FUNCTION "verification_budget_take"(
  p_app TEXT,
  p_citizens TEXT[],
  p_coordinates TEXT[],
  p_hashes TEXT[],
  p_now TIMESTAMPTZ,
  p_window_ms BIGINT,
  p_limit INTEGER
) RETURNS BOOLEAN[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  allowed BOOLEAN[] := '{}';
  used INTEGER;
  i INTEGER;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_citizens, 1), 0) LOOP
    PERFORM pg_advisory_xact_lock(hashtext(p_app || E'\n' || p_citizens[i] || E'\n' || p_coordinates[i]));
    DELETE FROM "verification_budget"
      WHERE "app" = p_app AND "citizen" = p_citizens[i] AND "coordinate" = p_coordinates[i]
        AND "first_used" <= p_now - p_window_ms * INTERVAL '1 millisecond';
    IF EXISTS (SELECT 1 FROM "verification_budget"
               WHERE "app" = p_app AND "citizen" = p_citizens[i] AND "coordinate" = p_coordinates[i]
                 AND "arguments_hash" = p_hashes[i]) THEN
      allowed := allowed || TRUE;
      CONTINUE;
    END IF;
    SELECT count(*) INTO used FROM "verification_budget"
      WHERE "app" = p_app AND "citizen" = p_citizens[i] AND "coordinate" = p_coordinates[i];
    IF used >= p_limit THEN
      allowed := allowed || FALSE;
    ELSE
      INSERT INTO "verification_budget" ("app", "citizen", "coordinate", "arguments_hash", "first_used")
        VALUES (p_app, p_citizens[i], p_coordinates[i], p_hashes[i], p_now);
      allowed := allowed || TRUE;
    END IF;
  END LOOP;
  RETURN allowed;
END
$$;
