// Rows as partners see them: the API objects, also the data of outbox events. Masked card only.
import type { PaymentRow, RefundRow } from "../db/queries/payment-row.ts";
import type { PaymentObject, RefundObject } from "./payment-objects.ts";

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

export function paymentView(p: PaymentRow): PaymentObject {
  return {
    id: p.id,
    object: "payment",
    livemode: p.livemode,
    status: p.status,
    amount: p.amount,
    amount_capturable: p.amount_capturable,
    amount_captured: p.amount_captured,
    amount_refunded: p.amount_refunded,
    currency: p.currency,
    capture_method: p.capture_method,
    card: {
      brand: p.card_brand,
      last4: p.card_last4,
      exp_month: p.card_exp_month,
      exp_year: p.card_exp_year,
      fingerprint: p.card_fingerprint,
    },
    card_token: p.card_token_id,
    failure: p.failure_code === null ? null : { code: p.failure_code, message: p.failure_message },
    description: p.description,
    reference: p.reference,
    metadata: p.metadata,
    created: unixSeconds(p.created_at),
  };
}

export function refundView(r: RefundRow): RefundObject {
  return {
    id: r.id,
    object: "refund",
    livemode: r.livemode,
    payment_id: r.payment_id,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    created: unixSeconds(r.created_at),
  };
}

/** The outbox event type a payment's new status announces. */
export function paymentEventType(status: string): string {
  switch (status) {
    case "requires_capture":
      return "payment.authorized";
    case "succeeded":
      return "payment.captured";
    case "failed":
      return "payment.failed";
    case "canceled":
      return "payment.canceled";
    default:
      return `payment.${status}`;
  }
}
