// Capture and cancel: load, let the state machine decide, tell the acquirer, then ONE statement
// records the change, its event and the key's response, guarded by the status it was decided on.
import { ApiError, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { PaymentRow } from "../db/queries/payment-row.ts";
import { findPayment } from "../db/queries/payments.ts";
import type { PaymentBody } from "../gateway/schemas/payment.ts";
import type { IdempotencyScope, PaymentDeps } from "./payment-deps.ts";
import { applyCancel, applyCapture, type PaymentMoney, type PaymentStatus } from "./payment-state.ts";
import { paymentEventType, paymentView } from "./payment-view.ts";

type Transition = (p: PaymentMoney) => PaymentMoney;

async function transition(
  deps: PaymentDeps,
  partnerId: string,
  paymentId: string,
  decide: Transition,
  atAcquirer: (before: PaymentRow, after: PaymentMoney) => Promise<void>,
  idem: IdempotencyScope | undefined,
): Promise<{ payment: PaymentBody; keyFinished: boolean }> {
  const row = await findPayment(deps.sql, partnerId, paymentId);
  if (!row) throw notFound("payment", paymentId);
  const money = { ...row, status: row.status as PaymentStatus };
  const next = decide(money);
  await atAcquirer(row, next);
  const body = paymentView({ ...row, ...next, updated_at: deps.clock() });
  // The cache learns the coming version while Postgres commits it (see cache/payment-cache.ts).
  const [version] = await Promise.all([
    deps.writes.change({
      target: { id: row.id, partnerId, from: [row.status] },
      change: next,
      event: {
        id: newId("evt"),
        type: paymentEventType(next.status),
        data: body,
        traceparent: deps.traceparent,
      },
      finish: idem ? { key: idem.key, status: idem.responseStatus, body } : null,
    }),
    deps.paymentCache.invalidate(partnerId, row.id, row.version + 1),
  ]);
  if (version !== undefined) return { payment: body, keyFinished: true };
  // A concurrent request changed the payment between our read and our write: decide again on
  // what is there now, which yields the partner's 409 naming the current status.
  const now = await findPayment(deps.sql, partnerId, paymentId);
  if (now) decide({ ...now, status: now.status as PaymentStatus });
  throw new ApiError("concurrent_update", "The payment changed concurrently; retry the request.");
}

export function capturePayment(
  deps: PaymentDeps,
  partnerId: string,
  paymentId: string,
  amount: number | undefined,
  idem: IdempotencyScope | undefined,
) {
  return transition(
    deps,
    partnerId,
    paymentId,
    (p) => applyCapture(p, amount),
    (before, after) => deps.acquirer.capture(before.id, after.amount_captured),
    idem,
  );
}

export function cancelPayment(
  deps: PaymentDeps,
  partnerId: string,
  paymentId: string,
  idem: IdempotencyScope | undefined,
) {
  return transition(deps, partnerId, paymentId, applyCancel, (before) => deps.acquirer.void(before.id), idem);
}
