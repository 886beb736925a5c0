-- Dated API versions: every partner onboarded before them keeps the shape it integrated against
-- (2026-06-01). New partners are written with the newest version (onboard-partner.ts).
UPDATE "partners" SET "settings" = "settings" || '{"api_version":"2026-06-01"}'::jsonb
WHERE NOT ("settings" ? 'api_version');
