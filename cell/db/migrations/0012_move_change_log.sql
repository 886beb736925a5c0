-- The change log of a partner move (cell/partners/change-log.ts). While a move copies a partner
-- off this cell, a trigger per partner table (created for that move, dropped after it) writes the
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
-- TG_ARGV: the move id, the table's name (a partition's trigger still names its parent), then the
-- primary-key columns in order.
CREATE OR REPLACE FUNCTION cellpay_log_move_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  pk jsonb := '[]'::jsonb;
  i int;
BEGIN
  FOR i IN 2 .. TG_NARGS - 1 LOOP
    pk := pk || jsonb_build_array(r -> TG_ARGV[i]);
  END LOOP;
  INSERT INTO move_row_changes (move_id, table_name, pk) VALUES (TG_ARGV[0], TG_ARGV[1], pk);
  RETURN NULL;
END $$;
