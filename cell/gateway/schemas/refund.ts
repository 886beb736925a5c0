import { z } from "@hono/zod-openapi";
import { type RefundObject, RefundSchema, refundReasons } from "../../payments/payment-objects.ts";
import { AmountSchema, IdSchema, LimitSchema, queryOf } from "./common.ts";
import { freeText } from "./free-text.ts";

export const CreateRefundSchema = z
  .object({
    // Echoed in a not-found error that an Idempotency-Key then stores: no card numbers in it.
    // (`reason` is an enum, not free text.)
    payment_id: freeText(z.string().min(1).max(64)),
    amount: AmountSchema.optional().openapi({ description: "Defaults to everything not yet refunded" }),
    reason: z.enum(refundReasons).optional(),
  })
  .strict()
  .openapi("CreateRefund");

/** The refund object is the domain's (payments/payment-objects.ts): responses and events share it. */
export { RefundSchema };

export const ListRefundsQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional(),
  payment_id: IdSchema.optional(),
});

export const RefundListSchema = z
  .object({ object: z.literal("list"), data: z.array(RefundSchema), has_more: z.boolean() })
  .openapi("RefundList");

export type CreateRefundInput = z.infer<typeof CreateRefundSchema>;
export type RefundBody = RefundObject;
export type ListRefundsQuery = z.infer<typeof ListRefundsQuerySchema>;
