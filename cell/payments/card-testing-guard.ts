// Where the decline-velocity limit (limits/decline-velocity.ts) meets card payments: a paused
// partner's card payments are refused before any card work, and each acquirer decline is counted;
// the decline that trips the guard is logged at warn (and counted in a metric the alert rules read).
import { ApiError } from "../../shared/errors.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import type { PaymentDeps } from "./payment-deps.ts";

/** Declines count per partner and mode: test-mode declines never pause live payments. */
const velocityKey = (scope: ModeScope) => `${scope.partnerId}:${scope.livemode ? "live" : "test"}`;

export async function refuseIfCardTesting(deps: PaymentDeps, scope: ModeScope): Promise<void> {
  if (!deps.declines) return;
  const pausedMs = await deps.declines.velocity.pausedFor(velocityKey(scope));
  if (pausedMs <= 0) return;
  throw new ApiError(
    "card_testing_suspected",
    "Too many declined card payments in a short time: card payments are paused; retry after the time in Retry-After.",
    { headers: { "retry-after": String(Math.max(1, Math.ceil(pausedMs / 1000))) } },
  );
}

export async function countDecline(deps: PaymentDeps, scope: ModeScope): Promise<void> {
  if (!deps.declines) return;
  const { velocity, limit } = deps.declines;
  if (await velocity.recordDecline(velocityKey(scope), limit)) {
    deps.log.warn(
      {
        partner_id: scope.partnerId,
        livemode: scope.livemode,
        max_declines: limit.maxDeclines,
        window_ms: limit.windowMs,
        alert: "card_testing",
      },
      "card testing suspected: card payments of this partner paused",
    );
  }
}
