-- Test and live apart: every partner object records the mode of the key that made it.
-- Existing rows become test-mode rows: until this migration every key, test or live, reached only
-- the simulator, so no existing row moved real money (README, "Test and live"). The default exists
-- only to fill existing rows and is dropped at once: a writer that forgets the mode fails loudly.
ALTER TABLE "card_tokens" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "card_tokens" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "refunds" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "refunds" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_entries" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "settlements" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "settlements" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "livemode" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ALTER COLUMN "livemode" DROP DEFAULT;--> statement-breakpoint
-- A delivery's mode is its endpoint's (endpoints already recorded theirs in `mode`).
UPDATE "webhook_deliveries" d SET "livemode" = (e."mode" = 'live') FROM "webhook_endpoints" e WHERE e."id" = d."endpoint_id";--> statement-breakpoint
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_partner_id_key_pk";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_partner_id_livemode_key_pk" PRIMARY KEY("partner_id","livemode","key");--> statement-breakpoint
DROP INDEX "card_tokens_partner";--> statement-breakpoint
DROP INDEX "payments_partner_id";--> statement-breakpoint
DROP INDEX "payments_partner_status";--> statement-breakpoint
DROP INDEX "payments_partner_created";--> statement-breakpoint
DROP INDEX "refunds_partner_id";--> statement-breakpoint
DROP INDEX "refunds_partner_payment";--> statement-breakpoint
DROP INDEX "events_partner";--> statement-breakpoint
DROP INDEX "ledger_entries_partner";--> statement-breakpoint
DROP INDEX "settlements_partner_day";--> statement-breakpoint
DROP INDEX "settlements_partner_id";--> statement-breakpoint
DROP INDEX "webhook_endpoints_partner";--> statement-breakpoint
DROP INDEX "webhook_deliveries_partner";--> statement-breakpoint
CREATE INDEX "card_tokens_partner_mode" ON "card_tokens" USING btree ("partner_id","livemode","id");--> statement-breakpoint
CREATE INDEX "payments_partner_mode_id" ON "payments" USING btree ("partner_id","livemode","id");--> statement-breakpoint
CREATE INDEX "payments_partner_mode_status" ON "payments" USING btree ("partner_id","livemode","status","id");--> statement-breakpoint
CREATE INDEX "payments_partner_mode_created" ON "payments" USING btree ("partner_id","livemode","created_at");--> statement-breakpoint
CREATE INDEX "refunds_partner_mode_id" ON "refunds" USING btree ("partner_id","livemode","id");--> statement-breakpoint
CREATE INDEX "refunds_partner_mode_payment" ON "refunds" USING btree ("partner_id","livemode","payment_id");--> statement-breakpoint
CREATE INDEX "events_partner_mode" ON "events" USING btree ("partner_id","livemode","id");--> statement-breakpoint
CREATE INDEX "ledger_entries_partner_mode" ON "ledger_entries" USING btree ("partner_id","livemode","account","currency");--> statement-breakpoint
CREATE UNIQUE INDEX "settlements_partner_mode_day" ON "settlements" USING btree ("partner_id","livemode","currency","day");--> statement-breakpoint
CREATE INDEX "settlements_partner_mode_id" ON "settlements" USING btree ("partner_id","livemode","id");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_partner_mode" ON "webhook_endpoints" USING btree ("partner_id","mode","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_partner_mode" ON "webhook_deliveries" USING btree ("partner_id","livemode","id");
