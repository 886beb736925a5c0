-- Dated API versions (cell/api-versions/). Every webhook endpoint renders its events in its own
-- version; existing endpoints and partners are pinned to the original shape (2026-06-01) so
-- nothing they already parse changes. New ones are written with an explicit version.
ALTER TABLE "webhook_endpoints" ADD COLUMN "api_version" text NOT NULL DEFAULT '2026-06-01';
--> statement-breakpoint
UPDATE "partners" SET "settings" = "settings" || '{"api_version":"2026-06-01"}'::jsonb
WHERE NOT ("settings" ? 'api_version');
