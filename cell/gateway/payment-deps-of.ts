import type { Context } from "hono";
import { connectorFor } from "../acquirer/acquirer-routes.ts";
import type { PaymentDeps } from "../payments/payment-deps.ts";
import type { AppEnv } from "./app-env.ts";

/**
 * The payment services' deps for this request (its logger carries the request id), with the
 * connector of the key's mode: a live key of a partner without a live connector stops here (403).
 */
export function paymentDepsOf(c: Context<AppEnv>): PaymentDeps {
  const { sql, paymentWrites, acquirers, vault, config, clock, paymentCache, declineVelocity } =
    c.get("deps");
  const { scope, settings } = c.get("partner");
  return {
    sql,
    writes: paymentWrites,
    acquirer: connectorFor(acquirers, scope.livemode, settings.live_connector),
    vault,
    clock,
    paymentCache,
    log: c.get("log"),
    acquirerTimeoutMs: config.acquirerTimeoutMs,
    traceparent: c.get("traceparent"),
    declines: { velocity: declineVelocity, limit: config.declineLimit },
  };
}
