// The payment state machine: the only code that decides a payment's status and money columns.
// Services load a payment, call one function here, and persist what it returns; an invalid
// transition throws the ApiError the partner sees, naming the status the payment is in.
import { ApiError } from "../../shared/errors.ts";
import type { AuthorizationResult } from "../acquirer/connector.ts";

export const paymentStatuses = [
  "processing",
  "requires_capture",
  "succeeded",
  "failed",
  "canceled",
  "partially_refunded",
  "refunded",
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export type CaptureMethod = "automatic" | "manual";

/** All amounts in minor units. */
export interface PaymentMoney {
  status: PaymentStatus;
  amount: number;
  amount_capturable: number;
  amount_captured: number;
  amount_refunded: number;
  capture_method: CaptureMethod;
}

/** The money state after an authorization, with the decline reason when there is one. */
export interface AuthorizedPayment extends PaymentMoney {
  failure_code: string | null;
  failure_message: string | null;
}

/** Statuses a payment can be created in: afterAuthorization is its first transition. */
export const initialStatuses: readonly PaymentStatus[] = [
  "processing",
  "requires_capture",
  "succeeded",
  "failed",
];

/**
 * The whole graph. `partially_refunded → partially_refunded` is a second partial refund.
 * Terminal statuses have no way out. The unit tests check every function against this table.
 */
export const allowedTransitions: Record<PaymentStatus, PaymentStatus[]> = {
  processing: ["requires_capture", "succeeded", "failed"],
  requires_capture: ["succeeded", "canceled"],
  succeeded: ["partially_refunded", "refunded"],
  partially_refunded: ["partially_refunded", "refunded"],
  failed: [],
  canceled: [],
  refunded: [],
};

/** The first status of a new payment, from the acquirer's answer. */
export function afterAuthorization(
  p: { amount: number; capture_method: CaptureMethod },
  outcome: AuthorizationResult,
): AuthorizedPayment {
  const base = {
    amount: p.amount,
    capture_method: p.capture_method,
    amount_capturable: 0,
    amount_captured: 0,
    amount_refunded: 0,
    failure_code: null,
    failure_message: null,
  };
  switch (outcome.outcome) {
    case "approved":
      return p.capture_method === "automatic"
        ? { ...base, status: "succeeded", amount_captured: p.amount }
        : { ...base, status: "requires_capture", amount_capturable: p.amount };
    case "declined":
      return {
        ...base,
        status: "failed",
        failure_code: outcome.failure_code,
        failure_message: outcome.failure_message,
      };
    case "pending":
      return { ...base, status: "processing" };
  }
}

/** What a payment the acquirer has no record of ends as: it failed, and no money moved. */
export const neverAuthorized = {
  outcome: "declined",
  failure_code: "processing_error",
  failure_message: "The payment could not be processed; no money was taken.",
} as const;

/**
 * Settles a `processing` payment once lookup() answers. `undefined` means the acquirer never
 * saw the authorization, so no money moved and the payment failed; `pending` leaves it as is.
 * A non-processing payment here is a bug in the caller (two resolvers raced), not a partner
 * error, hence a plain Error.
 */
export function resolveProcessing(
  p: PaymentMoney,
  found: AuthorizationResult | undefined,
): AuthorizedPayment {
  if (p.status !== "processing") {
    throw new Error(`resolveProcessing on a payment whose status is '${p.status}'`);
  }
  return afterAuthorization(p, found ?? neverAuthorized);
}

/** Captures `amount` (default: all of it). One capture per payment: the uncaptured rest is released. */
export function applyCapture(p: PaymentMoney, amount?: number): PaymentMoney {
  if (p.status !== "requires_capture") {
    throw new ApiError(
      "payment_not_capturable",
      `This payment cannot be captured because its status is '${p.status}'; only a payment in 'requires_capture' can be captured.`,
    );
  }
  const toCapture = amount ?? p.amount_capturable;
  checkPositiveAmount(toCapture);
  if (toCapture > p.amount_capturable) {
    throw new ApiError(
      "amount_exceeds_capturable",
      `The amount to capture (${toCapture}) is greater than the amount capturable (${p.amount_capturable}).`,
      { param: "amount_to_capture" },
    );
  }
  return { ...p, status: "succeeded", amount_capturable: 0, amount_captured: toCapture };
}

/** Releases an uncaptured authorization. */
export function applyCancel(p: PaymentMoney): PaymentMoney {
  if (p.status !== "requires_capture") {
    throw new ApiError(
      "payment_not_cancelable",
      `This payment cannot be canceled because its status is '${p.status}'; only a payment in 'requires_capture' can be canceled.`,
    );
  }
  return { ...p, status: "canceled", amount_capturable: 0 };
}

/** Refunds `amount` (default: all that is left) of the captured money. */
export function applyRefund(p: PaymentMoney, amount?: number): PaymentMoney {
  if (p.status !== "succeeded" && p.status !== "partially_refunded") {
    throw new ApiError(
      "payment_not_refundable",
      `This payment cannot be refunded because its status is '${p.status}'; only a payment in 'succeeded' or 'partially_refunded' can be refunded.`,
    );
  }
  const refundable = p.amount_captured - p.amount_refunded;
  const toRefund = amount ?? refundable;
  checkPositiveAmount(toRefund);
  if (toRefund > refundable) {
    throw new ApiError(
      "amount_exceeds_refundable",
      `The amount to refund (${toRefund}) is greater than the amount left to refund (${refundable}).`,
      { param: "amount" },
    );
  }
  const refunded = p.amount_refunded + toRefund;
  return {
    ...p,
    status: refunded === p.amount_captured ? "refunded" : "partially_refunded",
    amount_refunded: refunded,
  };
}

/** The edge schema checks amounts too; this keeps the machine safe when called from elsewhere. */
function checkPositiveAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 1) {
    throw new ApiError("invalid_request", "The amount must be a positive integer in minor units.", {
      param: "amount",
    });
  }
}
