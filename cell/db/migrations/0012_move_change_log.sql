-- The change log of a partner move (cell/partners/change-log.ts). While a move copies a partner
-- off this cell (its row in move_log_partners), a trigger on every partner table writes the
-- primary key of every row of that partner that is inserted, updated or deleted. The catch-up and
-- the frozen copy then read only those keys, and the checksums under the freeze cover only them:
-- the freeze costs what the partner changed during the move, not what it holds (a partner with
-- 1 M payments stalled > 30 s and rolled back when the freeze scanned all of its rows by xmin).
-- `xid` is the writing transaction: a pass reads from the oldest transaction still running at the
-- previous pass (pg_snapshot_xmin), so a change committed late is never skipped.
CREATE TABLE "move_row_changes" (
  "seq" bigserial PRIMARY KEY,
  "move_id" text NOT NULL,
  "table_name" text NOT NULL,
  "pk" jsonb NOT NULL,
  "xid" xid8 NOT NULL DEFAULT pg_current_xact_id()
);
--> statement-breakpoint
CREATE INDEX "move_row_changes_move_table_seq" ON "move_row_changes" ("move_id", "table_name", "seq");
--> statement-breakpoint
-- The partners being moved off this cell, each with its move. The triggers below are permanent
-- (created here, never by a move): a move only adds and removes its row, so it takes no table
-- lock. Creating per-move triggers took one, and on a busy payments table it could not get it
-- (200 NOWAIT tries over 6.6 s failed at 10 M payments), while a waiting one deadlocked with a
-- payment (40P01).
CREATE TABLE "move_log_partners" (
  "partner_id" text PRIMARY KEY,
  "move_id" text NOT NULL,
  "started_at" timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
-- TG_ARGV: the table's name (a partition's trigger still names its parent), the partner column,
-- then the primary-key columns in order. BEFORE, not AFTER: nothing is queued per row (COPY and
-- batch imports stay as fast), and a statement that fails takes its log row with it. While no
-- move runs on the cell, a write pays one function call and one look at an empty table.
CREATE OR REPLACE FUNCTION cellpay_log_move_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
  mv text;
  pk jsonb := '[]'::jsonb;
  i int;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM move_log_partners) THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  r := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  SELECT move_id INTO mv FROM move_log_partners WHERE partner_id = r ->> TG_ARGV[1];
  IF mv IS NOT NULL THEN
    FOR i IN 2 .. TG_NARGS - 1 LOOP
      pk := pk || jsonb_build_array(r -> TG_ARGV[i]);
    END LOOP;
    INSERT INTO move_row_changes (move_id, table_name, pk) VALUES (mv, TG_ARGV[0], pk);
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
-- One per table of cell/db/partner-tables.ts with a partner column (a test checks the two agree).
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "partners" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('partners', 'id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "api_keys" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('api_keys', 'partner_id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "card_tokens" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('card_tokens', 'partner_id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "payments" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('payments', 'partner_id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "refunds" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('refunds', 'partner_id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "idempotency_keys" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('idempotency_keys', 'partner_id', 'partner_id', 'livemode', 'key', 'created_at');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "events" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('events', 'partner_id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "webhook_endpoints" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('webhook_endpoints', 'partner_id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "webhook_deliveries" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('webhook_deliveries', 'partner_id', 'id', 'event_id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "webhook_attempts" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('webhook_attempts', 'partner_id', 'delivery_id', 'attempt');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "ledger_entries" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('ledger_entries', 'partner_id', 'transaction_id', 'line');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "settlements" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('settlements', 'partner_id', 'id');
--> statement-breakpoint
CREATE TRIGGER "cellpay_move_log" BEFORE INSERT OR UPDATE OR DELETE ON "settlement_items" FOR EACH ROW EXECUTE FUNCTION cellpay_log_move_change('settlement_items', 'partner_id', 'settlement_id', 'kind', 'object_id');
