-- The outbox relay is woken by the writers after their commit (cell/events/outbox-wake.ts), no
-- longer by NOTIFY: Postgres takes one cluster-wide lock at the commit of every transaction that
-- notified, so the gateway's group-committed phase-2 statements queued on it (Lock:object).
DROP TRIGGER IF EXISTS events_notify_outbox ON events;--> statement-breakpoint
DROP FUNCTION IF EXISTS cellpay_notify_outbox();
