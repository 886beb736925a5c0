// Capture and cancel: load, let the state machine decide, tell the acquirer, then ONE statement
// records the change, its event and the key's response, guarded by the status it was decided on.
import { ApiError, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { PaymentRow } from "../db/queries/payment-row.ts";
import { findPayment } from "../db/queries/payments.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import type { IdempotencyScope, PaymentDeps } from "./payment-deps.ts";
import type { PaymentObject } from "./payment-objects.ts";
import { applyCancel, applyCapture, type PaymentMoney } from "./payment-state.ts";
import { paymentEventType, paymentView } from "./payment-view.ts";

type Transition = (p: PaymentMoney) => PaymentMoney;

async function transition(
  deps: PaymentDeps,
  scope: ModeScope,
  paymentId: string,
  decide: Transition,
  atAcquirer: (before: PaymentRow, after: PaymentMoney) => Promise<void>,
  idem: IdempotencyScope | undefined,
): Promise<{ payment: PaymentObject; keyFinished: boolean }> {
  const row = await findPayment(deps.sql, scope, paymentId);
  if (!row) throw notFound("payment", paymentId);
  const next = decide(row);
  await atAcquirer(row, next);
  const body = paymentView({ ...row, ...next, updated_at: deps.clock() });
  // The cache learns the coming version while Postgres commits it (see cache/payment-cache.ts).
  const [version] = await Promise.all([
    deps.writes.change({
      target: { id: row.id, scope, from: [row.status] },
      change: next,
      event: {
        id: newId("evt"),
        type: paymentEventType(next.status),
        data: body,
        traceparent: deps.traceparent,
      },
      finish: idem ? { key: idem.key, status: idem.responseStatus, body } : null,
    }),
    deps.paymentCache.invalidate(scope.partnerId, row.id, row.version + 1),
  ]);
  if (version !== undefined) return { payment: body, keyFinished: true };
  // A concurrent request changed the payment between our read and our write: decide again on
  // what is there now, which yields the partner's 409 naming the current status.
  const now = await findPayment(deps.sql, scope, paymentId);
  if (now) decide(now);
  throw new ApiError("concurrent_update", "The payment changed concurrently; retry the request.");
}

export function capturePayment(
  deps: PaymentDeps,
  scope: ModeScope,
  paymentId: string,
  amount: number | undefined,
  idem: IdempotencyScope | undefined,
) {
  return transition(
    deps,
    scope,
    paymentId,
    (p) => applyCapture(p, amount),
    (before, after) => deps.acquirer.capture(before.id, after.amount_captured),
    idem,
  );
}

export function cancelPayment(
  deps: PaymentDeps,
  scope: ModeScope,
  paymentId: string,
  idem: IdempotencyScope | undefined,
) {
  return transition(deps, scope, paymentId, applyCancel, (before) => deps.acquirer.void(before.id), idem);
}
