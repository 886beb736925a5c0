// POST /v1/refunds: reserve the amount on the payment (phase 1), refund at the acquirer
// (idempotent by refund id), then settle the refund with its event and the key (phase 2).
import { ApiError, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { RefundRow } from "../db/queries/payment-row.ts";
import { findPayment } from "../db/queries/payments.ts";
import { failRefund, findRefund, reserveRefund, settleRefund } from "../db/queries/refunds.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import type { IdempotencyScope, PaymentDeps } from "./payment-deps.ts";
import type { RefundInput, RefundObject } from "./payment-objects.ts";
import { applyRefund } from "./payment-state.ts";
import { refundView } from "./payment-view.ts";

export async function createRefund(
  deps: PaymentDeps,
  scope: ModeScope,
  input: RefundInput,
  idem: IdempotencyScope | undefined,
): Promise<{ refund: RefundObject; keyFinished: boolean }> {
  if (idem?.resumeResourceId) {
    const existing = await findRefund(deps.sql, scope, idem.resumeResourceId);
    if (existing && existing.status !== "pending")
      return { refund: refundView(existing), keyFinished: false };
    if (existing) return completeRefund(deps, existing, idem);
  }
  let reserved: (RefundRow & { payment_version: number }) | undefined;
  for (let attempt = 0; attempt < 3 && !reserved; attempt++) {
    const payment = await findPayment(deps.sql, scope, input.payment_id);
    if (!payment) throw notFound("payment", input.payment_id, "payment_id");
    // The state machine decides the amount and refuses what the payment cannot take (409/422).
    const before = payment;
    const after = applyRefund(before, input.amount);
    const amount = after.amount_refunded - before.amount_refunded;
    reserved = await reserveRefund(
      deps.sql,
      { id: newId("re"), scope, paymentId: payment.id, amount, reason: input.reason ?? null },
      idem?.key ?? null,
    );
    // Not reserved: a concurrent refund took part of the amount; decide again on fresh figures.
  }
  if (reserved)
    await deps.paymentCache.invalidate(scope.partnerId, reserved.payment_id, reserved.payment_version);
  if (!reserved)
    throw new ApiError("concurrent_update", "The payment kept changing concurrently; retry the request.");
  return completeRefund(deps, reserved, idem);
}

/** Phase 2, also run by the recoverer for refunds left pending. */
export async function completeRefund(
  deps: PaymentDeps,
  refund: RefundRow,
  idem: Pick<IdempotencyScope, "key" | "responseStatus"> | undefined,
): Promise<{ refund: RefundObject; keyFinished: boolean }> {
  const scope = { partnerId: refund.partner_id, livemode: refund.livemode };
  try {
    await deps.acquirer.refund(refund.payment_id, refund.id, refund.amount);
  } catch (err) {
    deps.log.error({ err: (err as Error).message, refund_id: refund.id }, "acquirer refused the refund");
    const version = await failRefund(deps.sql, { id: refund.id, scope });
    if (version !== undefined)
      await deps.paymentCache.invalidate(refund.partner_id, refund.payment_id, version);
    return { refund: refundView({ ...refund, status: "failed" }), keyFinished: false };
  }
  const body = refundView({ ...refund, status: "succeeded" });
  const settled = await settleRefund(
    deps.sql,
    { id: refund.id, scope },
    { id: newId("evt"), type: "refund.succeeded", data: body, traceparent: deps.traceparent },
    idem ? { key: idem.key, status: idem.responseStatus, body } : null,
  );
  if (settled) return { refund: body, keyFinished: true };
  const current = await findRefund(deps.sql, scope, refund.id);
  return { refund: refundView(current ?? refund), keyFinished: false };
}
