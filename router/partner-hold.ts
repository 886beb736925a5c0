// The freeze of a move: while a partner is `frozen` in the table, its requests wait here (nobody
// else's do) until a delta clears the flag or sends the partner elsewhere, or the hold runs out.
// The caller then routes with the table as it is at release, so held requests go to the new cell.
import type { RoutePartner } from "../shared/routing/routing-table.ts";
import type { RoutingTableStore } from "./routing-table-store.ts";

export type HoldOutcome =
  | { kind: "released"; partner: RoutePartner }
  | { kind: "gone" }
  | { kind: "timeout" }
  | { kind: "aborted" };

/**
 * Waits until `settled(partner)` holds for the partner's current route (checked now and after every
 * table change), the partner leaves the table, the hold runs out, or the client hangs up.
 */
function waitForPartner(
  store: RoutingTableStore,
  partnerId: string,
  settled: (partner: RoutePartner) => boolean,
  maxMs: number,
  clientGone: AbortSignal,
): Promise<HoldOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const settle = (outcome: HoldOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      clientGone.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const check = () => {
      const partner = store.table.partners[partnerId];
      if (!partner) settle({ kind: "gone" });
      else if (settled(partner)) settle({ kind: "released", partner });
    };
    const onAbort = () => settle({ kind: "aborted" });
    const timer = setTimeout(() => settle({ kind: "timeout" }), maxMs);
    const unsubscribe = store.onChange(check);
    clientGone.addEventListener("abort", onAbort, { once: true });
    check();
  });
}

export function holdWhileFrozen(
  store: RoutingTableStore,
  partnerId: string,
  maxMs: number,
  clientGone: AbortSignal,
): Promise<HoldOutcome> {
  return waitForPartner(store, partnerId, (p) => !p.frozen, maxMs, clientGone);
}

/**
 * After the partner's cell refused it as moving (its freeze reached the cell before the frozen
 * delta reached this router): waits until the partner's route differs from `seen`, then, if it
 * is frozen, until it is released. The cell did nothing with the request, so it may be resent.
 */
export async function waitForRouteChange(
  store: RoutingTableStore,
  partnerId: string,
  seen: RoutePartner,
  maxMs: number,
  clientGone: AbortSignal,
): Promise<HoldOutcome> {
  const started = Date.now();
  const changed = await waitForPartner(
    store,
    partnerId,
    (p) => p.cell !== seen.cell || p.frozen !== seen.frozen,
    maxMs,
    clientGone,
  );
  if (changed.kind !== "released" || !changed.partner.frozen) return changed;
  return holdWhileFrozen(store, partnerId, Math.max(0, maxMs - (Date.now() - started)), clientGone);
}
