-- Append-only: nobody changes or removes an audit record, whatever role it runs as.
-- (A superuser can still bypass triggers; `npm run audit -- verify` then finds the edit.)
CREATE FUNCTION audit_record_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_record_no_update_or_delete
  BEFORE UPDATE OR DELETE ON "audit_record"
  FOR EACH ROW EXECUTE FUNCTION audit_record_is_append_only();

CREATE TRIGGER audit_record_no_truncate
  BEFORE TRUNCATE ON "audit_record"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_record_is_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON "audit_record" FROM PUBLIC;
