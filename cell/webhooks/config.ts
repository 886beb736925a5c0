// The dispatcher's settings from the processor process's environment, parsed once at start.
import { z } from "zod";
import { type DispatcherOptions, defaultDispatcherOptions as d } from "./dispatcher.ts";

const ms = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const envSchema = z.object({
  WEBHOOK_TIMEOUT_MS: ms(100, d.timeoutMs),
  WEBHOOK_PER_PARTNER_CONCURRENCY: ms(1, d.perPartnerConcurrency),
  WEBHOOK_GLOBAL_CONCURRENCY: ms(1, d.globalConcurrency),
  WEBHOOK_BACKOFF_BASE_MS: ms(1, d.backoffBaseMs),
  WEBHOOK_BACKOFF_CAP_MS: ms(1, d.backoffCapMs),
  WEBHOOK_MAX_AGE_MS: ms(1, d.maxAgeMs),
  WEBHOOK_POLL_INTERVAL_MS: ms(10, d.pollIntervalMs),
  // Lets test-mode endpoints reach loopback/private addresses: for the local launcher's demo and
  // tests only. Production configuration must leave it unset (false); live endpoints never may.
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(["true", "false"]).default("false"),
});

export function parseWebhookEnv(env: Record<string, string | undefined>): Omit<DispatcherOptions, "random"> {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`webhook configuration is invalid:\n${lines.join("\n")}`);
  }
  const e = result.data;
  return {
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    perPartnerConcurrency: e.WEBHOOK_PER_PARTNER_CONCURRENCY,
    globalConcurrency: e.WEBHOOK_GLOBAL_CONCURRENCY,
    backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
    backoffCapMs: e.WEBHOOK_BACKOFF_CAP_MS,
    maxAgeMs: e.WEBHOOK_MAX_AGE_MS,
    pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
    allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === "true",
  };
}
