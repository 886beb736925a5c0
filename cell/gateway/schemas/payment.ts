import { z } from "@hono/zod-openapi";
import { captureMethods, type PaymentObject, PaymentSchema } from "../../payments/payment-objects.ts";
import { paymentStatuses } from "../../payments/payment-state.ts";
import { CardInputSchema } from "./card.ts";
import {
  AmountSchema,
  CurrencySchema,
  IdSchema,
  LimitSchema,
  MetadataSchema,
  queryOf,
  UnixSecondsQuerySchema,
} from "./common.ts";
import { checkMetadata, freeText } from "./free-text.ts";

export const PaymentMethodSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("card"), card: CardInputSchema }).strict(),
    // A token is echoed in errors (token_not_found): refusing card numbers keeps them out of it.
    z.object({ type: z.literal("card_token"), token: freeText(z.string().min(1).max(64)) }).strict(),
  ])
  .openapi("PaymentMethod");

export const CreatePaymentSchema = z
  .object({
    amount: AmountSchema,
    currency: CurrencySchema,
    payment_method: PaymentMethodSchema,
    capture_method: z.enum(captureMethods).default("automatic"),
    description: freeText(z.string().max(1000)).optional(),
    reference: freeText(z.string().max(255))
      .optional()
      .openapi({ description: "Your own reference, e.g. an order id" }),
    metadata: MetadataSchema.superRefine(checkMetadata).optional(),
  })
  .strict()
  .openapi("CreatePayment");

export const CapturePaymentSchema = z
  .object({
    amount_to_capture: AmountSchema.optional().openapi({
      description: "Defaults to the whole capturable amount",
    }),
  })
  .strict()
  .openapi("CapturePayment");

/** The payment object is the domain's (payments/payment-objects.ts): responses and events share it. */
export { PaymentSchema };

export const ListPaymentsQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional().openapi({ description: "A payment id: the page after it" }),
  status: z.enum(paymentStatuses).optional(),
  "created[gte]": UnixSecondsQuerySchema.optional(),
  "created[gt]": UnixSecondsQuerySchema.optional(),
  "created[lte]": UnixSecondsQuerySchema.optional(),
  "created[lt]": UnixSecondsQuerySchema.optional(),
});

export const PaymentListSchema = z
  .object({ object: z.literal("list"), data: z.array(PaymentSchema), has_more: z.boolean() })
  .openapi("PaymentList");

export type CreatePaymentInput = z.infer<typeof CreatePaymentSchema>;
export type PaymentBody = PaymentObject;
export type ListPaymentsQuery = z.infer<typeof ListPaymentsQuerySchema>;
