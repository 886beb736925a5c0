// Per-gateway admission control: past `maxInFlight` requests in progress, new ones get a fast 503
// with Retry-After instead of waiting in a queue until they time out.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../app-env.ts";

export const admission = (opts: { maxInFlight: number }): MiddlewareHandler<AppEnv> =>
  async function admission(c, next) {
    const release = c.get("deps").inFlight.admit(opts.maxInFlight);
    if (!release) {
      throw new ApiError("overloaded", "This cell is at capacity; retry after the time in Retry-After.", {
        headers: { "retry-after": "1" },
      });
    }
    try {
      await next();
    } finally {
      release();
    }
  };
