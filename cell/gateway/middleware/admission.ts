// Per-gateway admission control, before any work is done for a request:
// - past `maxInFlight` requests in progress, new ones get a fast 503 with Retry-After instead of
//   waiting in a queue until they time out;
// - a request that already waited longer than `queueBudgetMs` since the router sent it (in the
//   router's connection pool, the socket, or this process's backlog) gets the same 503: under
//   overload, serving requests whose callers are about to give up only makes every later request
//   late too. Shedding them lets the cell catch up instead of staying seconds behind.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import { FORWARDED_AT_HEADER } from "../../../shared/http/protocol-headers.ts";
import type { AppEnv } from "../app-env.ts";

/** Set by the router on each attempt (router/proxy.ts). */
/** Beyond this the stamp says more about clock skew between hosts than about queueing. */
const IMPLAUSIBLE_AGE_MS = 60_000;

const overloaded = () =>
  new ApiError("overloaded", "This cell is at capacity; retry after the time in Retry-After.", {
    headers: { "retry-after": "1" },
  });

export const admission = (opts: {
  maxInFlight: number;
  queueBudgetMs: number;
  now?: () => number;
}): MiddlewareHandler<AppEnv> =>
  async function admission(c, next) {
    const forwardedAt = c.req.header(FORWARDED_AT_HEADER);
    if (forwardedAt !== undefined) {
      const waited = (opts.now ?? Date.now)() - Number(forwardedAt);
      if (waited > opts.queueBudgetMs && waited < IMPLAUSIBLE_AGE_MS) throw overloaded();
    }
    const release = c.get("deps").inFlight.admit(opts.maxInFlight);
    if (!release) throw overloaded();
    try {
      await next();
    } finally {
      release();
    }
  };
