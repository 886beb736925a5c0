-- A created[...] list also bounds the id (ids start with their time; cell/db/queries/payments.ts
-- ID_TIME_SLACK_MS), so it walks (partner_id, livemode, id), (partner_id, livemode, status, id)
-- or the primary key newest first and stops after one page. No query needs the
-- (partner_id, livemode, created_at) index any more (at 10 M payments the planner chose it only
-- for plans that were slower), and every payment insert paid one more index write for it.
DROP INDEX IF EXISTS "payments_partner_mode_created";
