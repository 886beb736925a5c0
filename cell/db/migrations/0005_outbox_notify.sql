-- Wakes the outbox relay when events are written, so it need not poll Postgres every few
-- milliseconds: one notification per statement (a group-committed batch of payments is one), and
-- Postgres folds identical notifications of one transaction into one, delivered at commit.
CREATE OR REPLACE FUNCTION cellpay_notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('cellpay_outbox', '');
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER events_notify_outbox AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION cellpay_notify_outbox();
