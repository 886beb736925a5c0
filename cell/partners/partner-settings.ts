// A partner's operational settings (partners.settings, jsonb), with the platform's defaults.
import { z } from "zod";
import { apiVersionSchema } from "../../shared/api-versions.ts";

export const partnerSettingsSchema = z.object({
  /** Sustained requests per second and burst of the partner's token bucket. */
  rate_limit: z.object({ rate: z.number().positive(), burst: z.number().int().positive() }).optional(),
  /** Requests of this partner a gateway instance runs at once (bulkhead). */
  max_concurrency: z.number().int().positive().optional(),
  /** Platform fee in basis points, taken from each capture. */
  fee_bps: z.number().int().min(0).max(10_000).optional(),
  /** The live connector live-mode payments reach (acquirer/acquirer-routes.ts); unset: live mode off. */
  live_connector: z.string().min(1).max(64).optional(),
  /** The dated API version the partner's answers and (by default) webhooks are rendered in. */
  api_version: apiVersionSchema.optional(),
});

export type PartnerSettings = z.infer<typeof partnerSettingsSchema>;

/** Settings as stored may be anything old code wrote: unknown or invalid parts fall back to defaults. */
export function readPartnerSettings(raw: unknown): PartnerSettings {
  const parsed = partnerSettingsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : {};
}
