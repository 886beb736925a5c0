// Finishes what requests left half-done: payments still `processing` (acquirer timeout, or a gateway
// that died between the two phases) are settled from what the acquirer knows; refunds still
// `pending` are retried (idempotent by refund id). Expired idempotency keys go with their day's
// partition (cell/db/partitions/partition-maintainer.ts).
// Every write is guarded by the status it expects, so several gateways may run this at once.

import type { AcquirerRoutes } from "../acquirer/acquirer-routes.ts";
import type { AcquirerConnector } from "../acquirer/connector.ts";
import { stalePayments } from "../db/queries/payments.ts";
import { staleRefunds } from "../db/queries/refunds.ts";
import { recordAuthorization } from "./create-payment.ts";
import type { PaymentDeps } from "./payment-deps.ts";
import { neverAuthorized } from "./payment-state.ts";
import { completeRefund } from "./refund-payment.ts";

/** The recoverer serves every partner and mode: it picks each row's connector itself. */
export type RecovererDeps = Omit<PaymentDeps, "acquirer"> & { acquirers: AcquirerRoutes };

/** The connector a row was made through: the simulator, or its partner's live connector. */
async function connectorOf(
  deps: RecovererDeps,
  row: { partner_id: string; livemode: boolean },
): Promise<AcquirerConnector | undefined> {
  if (!row.livemode) return deps.acquirers.test;
  const [p] = await deps.sql<{ name: string | null }[]>`
    select settings->>'live_connector' as name from partners where id = ${row.partner_id}`;
  return p?.name ? deps.acquirers.live.get(p.name) : undefined;
}

export async function recoverOnce(
  recovererDeps: RecovererDeps,
  opts: { staleMs: number; batch: number },
): Promise<number> {
  let settled = 0;
  for (const row of await stalePayments(recovererDeps.sql, opts.staleMs, opts.batch)) {
    const acquirer = await connectorOf(recovererDeps, row);
    if (!acquirer) continue; // its live connector is gone from this cell: left for an operator
    const deps: PaymentDeps = { ...recovererDeps, acquirer };
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
  for (const refund of await staleRefunds(recovererDeps.sql, opts.staleMs, opts.batch)) {
    const acquirer = await connectorOf(recovererDeps, refund);
    if (!acquirer) continue;
    await completeRefund({ ...recovererDeps, acquirer }, refund, undefined);
    settled++;
  }
  return settled;
}

/** Runs recoverOnce and key expiry every intervalMs until stopped. */
export function startRecoverer(deps: RecovererDeps, opts: { intervalMs: number; staleMs: number }) {
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
