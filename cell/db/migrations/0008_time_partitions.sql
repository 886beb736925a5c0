-- Retention by time instead of DELETE: the outbox (events), processed-event records, webhook
-- deliveries and attempts, and idempotency keys become range-partitioned by day, so old days are
-- dropped whole (cell/db/partitions/partition-maintainer.ts) instead of deleted row by row.
--
-- Each table is rebuilt as `CREATE TABLE new (LIKE old INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
-- PARTITION BY RANGE (...)`, so columns added by earlier migrations carry over, then its rows are
-- copied and the old table dropped. Indexes are NOT copied by LIKE: each one is recreated below,
-- by name (an index an earlier migration added to one of these tables must be added here too:
-- the (partner_id, livemode, ...) indexes and key of 0007_livemode are).
--
-- Partition keys, chosen so that every primary key and ON CONFLICT target still holds:
--   events             id         (evt_ ids start with their creation time: PK (id) unchanged)
--   processed_events   event_id   (PK (consumer, event_id) unchanged: a redelivery still conflicts)
--   webhook_deliveries event_id   (unique (endpoint_id, event_id) unchanged; PK becomes (id, event_id))
--   webhook_attempts   delivery_id (wd_ ids are time-sortable: PK (delivery_id, attempt) unchanged)
--   idempotency_keys   created_at (PK becomes (partner_id, livemode, key, created_at); (partner_id, livemode, key)
--                                   unique across partitions through the trigger at the end)
-- Every table gets a DEFAULT partition: rows whose key carries no time (hand-made ids) or that
-- arrive while no day partition exists land there instead of failing; it is never dropped.

-- The lower bound of a time-sortable id made at `at`: the prefix, then 10 base-36 digits of epoch
-- milliseconds, exactly as shared/ids.ts newId() writes them. Also what a "since T" read of the
-- outbox compares ids with, so it prunes partitions.
CREATE OR REPLACE FUNCTION cellpay_time_id(prefix text, at timestamptz) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  ms bigint := floor(extract(epoch FROM at) * 1000)::bigint;
  digits constant text := '0123456789abcdefghijklmnopqrstuvwxyz';
  out text := '';
BEGIN
  IF ms <= 0 THEN
    RETURN prefix || '_0000000000';
  END IF;
  WHILE ms > 0 LOOP
    out := substr(digits, (ms % 36)::int + 1, 1) || out;
    ms := ms / 36;
  END LOOP;
  RETURN prefix || '_' || lpad(out, 10, '0');
END;
$$;
--> statement-breakpoint

-- Creates, for one partitioned table: an archive partition holding everything before yesterday
-- (dropped by the maintainer once past retention), one partition per day from yesterday to 7
-- days ahead, and the default partition. `id_prefix` null: the key is a timestamptz.
CREATE OR REPLACE FUNCTION cellpay_create_day_partitions(parent text, id_prefix text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  first_day date := (now() AT TIME ZONE 'utc')::date - 1;
  d date;
  lo text;
  hi text;
BEGIN
  hi := CASE WHEN id_prefix IS NULL THEN quote_literal(first_day::text || ' 00:00:00+00')
             ELSE quote_literal(cellpay_time_id(id_prefix, first_day::timestamp AT TIME ZONE 'utc')) END;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (MINVALUE) TO (%s)',
    parent || '_upto' || to_char(first_day, 'YYYYMMDD'), parent, hi);
  FOR i IN 0..8 LOOP
    d := first_day + i;
    lo := CASE WHEN id_prefix IS NULL THEN quote_literal(d::text || ' 00:00:00+00')
               ELSE quote_literal(cellpay_time_id(id_prefix, d::timestamp AT TIME ZONE 'utc')) END;
    hi := CASE WHEN id_prefix IS NULL THEN quote_literal((d + 1)::text || ' 00:00:00+00')
               ELSE quote_literal(cellpay_time_id(id_prefix, (d + 1)::timestamp AT TIME ZONE 'utc')) END;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
      parent || '_p' || to_char(d, 'YYYYMMDD'), parent, lo, hi);
  END LOOP;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
END;
$$;
--> statement-breakpoint

-- ---- events (the outbox) ----
ALTER TABLE "events" RENAME TO "events_unpartitioned";--> statement-breakpoint
DROP TRIGGER IF EXISTS events_notify_outbox ON "events_unpartitioned";--> statement-breakpoint
ALTER TABLE "events_unpartitioned" RENAME CONSTRAINT "events_pkey" TO "events_unpartitioned_pkey";--> statement-breakpoint
CREATE TABLE "events" (LIKE "events_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("id");--> statement-breakpoint
SELECT cellpay_create_day_partitions('events', 'evt');--> statement-breakpoint
INSERT INTO "events" SELECT * FROM "events_unpartitioned";--> statement-breakpoint
DROP TABLE "events_unpartitioned";--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY ("id");--> statement-breakpoint
CREATE INDEX "events_unpublished" ON "events" USING btree ("id") WHERE published_at is null;--> statement-breakpoint
CREATE INDEX "events_partner_mode" ON "events" USING btree ("partner_id","livemode","id");--> statement-breakpoint
CREATE TRIGGER events_notify_outbox AFTER INSERT ON "events" FOR EACH STATEMENT EXECUTE FUNCTION cellpay_notify_outbox();--> statement-breakpoint

-- ---- processed_events ----
ALTER TABLE "processed_events" RENAME TO "processed_events_unpartitioned";--> statement-breakpoint
ALTER TABLE "processed_events_unpartitioned" RENAME CONSTRAINT "processed_events_consumer_event_id_pk" TO "processed_events_unpartitioned_pk";--> statement-breakpoint
CREATE TABLE "processed_events" (LIKE "processed_events_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("event_id");--> statement-breakpoint
SELECT cellpay_create_day_partitions('processed_events', 'evt');--> statement-breakpoint
INSERT INTO "processed_events" SELECT * FROM "processed_events_unpartitioned";--> statement-breakpoint
DROP TABLE "processed_events_unpartitioned";--> statement-breakpoint
ALTER TABLE "processed_events" ADD CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY ("consumer","event_id");--> statement-breakpoint

-- ---- webhook_deliveries ----
ALTER TABLE "webhook_deliveries" RENAME TO "webhook_deliveries_unpartitioned";--> statement-breakpoint
ALTER TABLE "webhook_deliveries_unpartitioned" RENAME CONSTRAINT "webhook_deliveries_pkey" TO "webhook_deliveries_unpartitioned_pkey";--> statement-breakpoint
ALTER INDEX "webhook_deliveries_endpoint_event" RENAME TO "webhook_deliveries_unpartitioned_endpoint_event";--> statement-breakpoint
ALTER INDEX "webhook_deliveries_due" RENAME TO "webhook_deliveries_unpartitioned_due";--> statement-breakpoint
ALTER INDEX "webhook_deliveries_partner_mode" RENAME TO "webhook_deliveries_unpartitioned_partner_mode";--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (LIKE "webhook_deliveries_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("event_id");--> statement-breakpoint
SELECT cellpay_create_day_partitions('webhook_deliveries', 'evt');--> statement-breakpoint
INSERT INTO "webhook_deliveries" SELECT * FROM "webhook_deliveries_unpartitioned";--> statement-breakpoint
DROP TABLE "webhook_deliveries_unpartitioned";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_id_event_id_pk" PRIMARY KEY ("id","event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_event" ON "webhook_deliveries" USING btree ("endpoint_id","event_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_partner_mode" ON "webhook_deliveries" USING btree ("partner_id","livemode","id");--> statement-breakpoint

-- ---- webhook_attempts ----
ALTER TABLE "webhook_attempts" RENAME TO "webhook_attempts_unpartitioned";--> statement-breakpoint
ALTER TABLE "webhook_attempts_unpartitioned" RENAME CONSTRAINT "webhook_attempts_delivery_id_attempt_pk" TO "webhook_attempts_unpartitioned_pk";--> statement-breakpoint
CREATE TABLE "webhook_attempts" (LIKE "webhook_attempts_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("delivery_id");--> statement-breakpoint
SELECT cellpay_create_day_partitions('webhook_attempts', 'wd');--> statement-breakpoint
INSERT INTO "webhook_attempts" SELECT * FROM "webhook_attempts_unpartitioned";--> statement-breakpoint
DROP TABLE "webhook_attempts_unpartitioned";--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_attempt_pk" PRIMARY KEY ("delivery_id","attempt");--> statement-breakpoint

-- ---- idempotency_keys ----
ALTER TABLE "idempotency_keys" RENAME TO "idempotency_keys_unpartitioned";--> statement-breakpoint
ALTER TABLE "idempotency_keys_unpartitioned" RENAME CONSTRAINT "idempotency_keys_partner_id_livemode_key_pk" TO "idempotency_keys_unpartitioned_pk";--> statement-breakpoint
ALTER INDEX "idempotency_keys_created" RENAME TO "idempotency_keys_unpartitioned_created";--> statement-breakpoint
CREATE TABLE "idempotency_keys" (LIKE "idempotency_keys_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("created_at");--> statement-breakpoint
SELECT cellpay_create_day_partitions('idempotency_keys', NULL);--> statement-breakpoint
INSERT INTO "idempotency_keys" SELECT * FROM "idempotency_keys_unpartitioned";--> statement-breakpoint
DROP TABLE "idempotency_keys_unpartitioned";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_partner_id_livemode_key_created_at_pk" PRIMARY KEY ("partner_id","livemode","key","created_at");--> statement-breakpoint

-- A primary key on a partitioned table only holds within one partition, and a retry at 00:00:01
-- lands in another partition than the first try at 23:59:59. This trigger keeps (partner_id, livemode, key)
-- unique across all partitions: it serializes inserts of one key on an advisory lock held until
-- commit, then looks with a fresh snapshot (each query of a volatile plpgsql function takes one
-- under READ COMMITTED), so it sees a concurrent claim that committed while it waited. A key
-- already present makes the row vanish (RETURN NULL), exactly as ON CONFLICT DO NOTHING does: the
-- claim's RETURNING stays empty and the request replays or refuses as before. The very same row
-- (same created_at: a partner move copying it again) goes on to ON CONFLICT, which updates it.
CREATE OR REPLACE FUNCTION cellpay_idempotency_key_unique() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(NEW.partner_id || chr(31) || NEW.livemode::text || chr(31) || NEW.key, 1405));
  IF EXISTS (SELECT 1 FROM idempotency_keys
             WHERE partner_id = NEW.partner_id AND livemode = NEW.livemode AND key = NEW.key
               AND created_at <> NEW.created_at) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER idempotency_keys_unique BEFORE INSERT ON "idempotency_keys" FOR EACH ROW EXECUTE FUNCTION cellpay_idempotency_key_unique();
