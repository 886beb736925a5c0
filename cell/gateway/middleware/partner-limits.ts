// Per-partner limits, after authentication: the token bucket, one per partner AND mode, so test
// traffic never uses up live capacity (sustained rate and burst; 429 with
// Retry-After and RateLimit-* headers) and the bulkhead (requests of one partner in progress at
// once in this gateway; 429 too_many_concurrent_requests). Limits come from the partner's
// settings, else the platform defaults.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import { MOVING_HEADER, RETRY_AFTER_MS_HEADER } from "../../../shared/http/protocol-headers.ts";
import type { BucketLimit } from "../../limits/token-bucket.ts";
import type { AppEnv } from "../app-env.ts";

export interface PartnerLimitDefaults {
  rateLimit: BucketLimit;
  maxConcurrency: number;
}

export const partnerLimits = (defaults: PartnerLimitDefaults): MiddlewareHandler<AppEnv> =>
  async function partnerLimits(c, next) {
    const { buckets, inFlight, frozenPartners } = c.get("deps");
    const { partnerId, mode, settings } = c.get("partner");
    const limit = settings.rate_limit ?? defaults.rateLimit;
    const taken = await buckets.take(`${partnerId}:${mode}`, limit);
    c.header("ratelimit-limit", String(limit.burst));
    c.header("ratelimit-remaining", String(taken.remaining));
    c.header("ratelimit-reset", String(Math.ceil(taken.resetMs / 1000)));
    c.header("ratelimit-policy", `${limit.burst};w=${Math.max(1, Math.round(limit.burst / limit.rate))}`);
    if (!taken.allowed) {
      const retryAfter = String(Math.max(1, Math.ceil(taken.retryAfterMs / 1000)));
      throw new ApiError(
        "rate_limited",
        `Rate limit of ${limit.rate} requests/s (burst ${limit.burst}) exceeded.`,
        {
          // The precise wait lets the router refuse this partner itself until then (router/app.ts).
          headers: { "retry-after": retryAfter, [RETRY_AFTER_MS_HEADER]: String(taken.retryAfterMs) },
        },
      );
    }
    const release = inFlight.enter(partnerId, settings.max_concurrency ?? defaults.maxConcurrency);
    if (release === "partner") {
      throw new ApiError(
        "too_many_concurrent_requests",
        "Too many of your requests are in progress at once.",
        {
          headers: { "retry-after": "1" },
        },
      );
    }
    // Checked after entering: a move's freeze either counts this request (and waits for it) or
    // this request sees the freeze. Nothing has been done yet, so the router may resend it.
    if (frozenPartners.has(partnerId)) {
      release();
      throw new ApiError("partner_moving", "This account is being moved; retry shortly.", {
        headers: { "retry-after": "1", [MOVING_HEADER]: "1" },
      });
    }
    try {
      await next();
    } finally {
      release();
    }
  };
