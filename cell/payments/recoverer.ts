// Finishes what requests left half-done: payments still `processing` (acquirer timeout, or a gateway
// that died between the two phases) are settled from what the acquirer knows; refunds still
// `pending` are retried (idempotent by refund id). Expired idempotency keys go with their day's
// partition (cell/db/partitions/partition-maintainer.ts).
// Every write is guarded by the status it expects, so several gateways may run this at once.

import { stalePayments } from "../db/queries/payments.ts";
import { staleRefunds } from "../db/queries/refunds.ts";
import { recordAuthorization } from "./create-payment.ts";
import type { PaymentDeps } from "./payment-deps.ts";
import { neverAuthorized } from "./payment-state.ts";
import { completeRefund } from "./refund-payment.ts";

export async function recoverOnce(
  deps: PaymentDeps,
  opts: { staleMs: number; batch: number },
): Promise<number> {
  let settled = 0;
  for (const row of await stalePayments(deps.sql, opts.staleMs, opts.batch)) {
    const found = await deps.acquirer.lookup(row.id);
    if (found?.outcome === "pending") continue;
    // Unknown to the acquirer: the authorization never happened, no money moved.
    const outcome = found ?? neverAuthorized;
    const result = await recordAuthorization(deps, row, outcome, undefined);
    deps.log.info(
      { payment_id: row.id, partner_id: row.partner_id, status: result.payment.status },
      "recovered processing payment",
    );
    settled++;
  }
  for (const refund of await staleRefunds(deps.sql, opts.staleMs, opts.batch)) {
    await completeRefund(deps, refund, undefined);
    settled++;
  }
  return settled;
}

/** Runs recoverOnce and key expiry every intervalMs until stopped. */
export function startRecoverer(deps: PaymentDeps, opts: { intervalMs: number; staleMs: number }) {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        await recoverOnce(deps, { staleMs: opts.staleMs, batch: 100 });
      } catch (err) {
        deps.log.warn({ err: (err as Error).message }, "recovery pass failed; will retry");
      }
    })();
  };
  const timer = setInterval(() => {
    if (!stopped) tick();
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
