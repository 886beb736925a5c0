// The payment and refund objects partners see (API responses and the `data` of events), and what
// the domain needs to create them. The gateway's HTTP schemas (gateway/schemas/) render these
// objects and validate requests into these inputs; the domain never imports the HTTP layer.
import { z } from "@hono/zod-openapi";
import type { CardInput } from "../vault/card-validation.ts";
import { type CaptureMethod, paymentStatuses } from "./payment-state.ts";

export const captureMethods = ["automatic", "manual"] as const;
export const refundStatuses = ["pending", "succeeded", "failed"] as const;
export const refundReasons = ["duplicate", "fraudulent", "requested_by_customer"] as const;
export type RefundReason = (typeof refundReasons)[number];

const livemode = z.boolean().openapi({ description: "true for a live-mode object, false for test mode" });

/** The card as shown back: never the number, only what identifies it. */
export const MaskedCardSchema = z
  .object({
    brand: z.string().openapi({ example: "visa" }),
    last4: z.string().openapi({ example: "4242" }),
    exp_month: z.number().int(),
    exp_year: z.number().int(),
    fingerprint: z
      .string()
      .openapi({ description: "Same card, same fingerprint (per platform); not reversible." }),
  })
  .openapi("Card");

export const PaymentFailureSchema = z
  .object({
    code: z
      .string()
      .openapi({ example: "card_declined", description: "A decline code (see the test cards)" }),
    message: z.string().nullable(),
  })
  .openapi("PaymentFailure");

export const PaymentSchema = z
  .object({
    id: z.string().openapi({ example: "pay_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("payment"),
    livemode,
    status: z.enum(paymentStatuses),
    amount: z.number().int(),
    amount_capturable: z.number().int(),
    amount_captured: z.number().int(),
    amount_refunded: z.number().int(),
    currency: z.string().openapi({ example: "EUR" }),
    capture_method: z.enum(captureMethods),
    card: MaskedCardSchema,
    card_token: z.string().nullable(),
    failure: PaymentFailureSchema.nullable().openapi({
      description: "Why it failed; null unless it failed.",
    }),
    description: z.string().nullable(),
    reference: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    created: z.number().int().openapi({ description: "Unix seconds" }),
  })
  .openapi("Payment");

export const RefundSchema = z
  .object({
    id: z.string().openapi({ example: "re_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("refund"),
    livemode,
    payment_id: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(refundStatuses),
    reason: z.string().nullable(),
    created: z.number().int(),
  })
  .openapi("Refund");

export type PaymentObject = z.infer<typeof PaymentSchema>;
export type RefundObject = z.infer<typeof RefundSchema>;

/** How a payment pays: a raw card (validated, never stored) or a vaulted token of the partner. */
export type PaymentMethodInput =
  | { type: "card"; card: CardInput & { cvc: string; holder_name?: string | undefined } }
  | { type: "card_token"; token: string };

/** A payment to create, validated at the edge (the gateway's CreatePayment schema yields it). */
export interface PaymentInput {
  amount: number;
  currency: string;
  payment_method: PaymentMethodInput;
  capture_method: CaptureMethod;
  description?: string | undefined;
  reference?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface RefundInput {
  payment_id: string;
  amount?: number | undefined;
  reason?: RefundReason | undefined;
}
