-- Custom migration (drizzle-kit generate --custom): the audit trail is append-only. UPDATE,
-- DELETE and TRUNCATE on audit_log raise; only a superuser who disables the triggers can change a
-- row, and the hash chain (audit/audit-chain.ts, `npm run admin -- audit verify`) then names it.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();--> statement-breakpoint
-- The chain head: rows written before the chain existed keep an empty hash; the chain starts
-- after the last of them.
INSERT INTO "audit_chain_head" ("id", "last_id", "last_hash")
  SELECT 1, COALESCE(MAX("id"), 0), '' FROM "audit_log"
  ON CONFLICT ("id") DO NOTHING;
