import type { Context } from "hono";
import type { PaymentDeps } from "../payments/payment-deps.ts";
import type { AppEnv } from "./app-env.ts";

/** The payment services' deps for this request (its logger carries the request id). */
export function paymentDepsOf(c: Context<AppEnv>): PaymentDeps {
  const { sql, paymentWrites, acquirer, vault, config, clock, paymentCache, declineVelocity } = c.get("deps");
  return {
    sql,
    writes: paymentWrites,
    acquirer,
    vault,
    clock,
    paymentCache,
    log: c.get("log"),
    acquirerTimeoutMs: config.acquirerTimeoutMs,
    traceparent: c.get("traceparent"),
    declines: { velocity: declineVelocity, limit: config.declineLimit },
  };
}
