import { z } from "@hono/zod-openapi";
import { AmountSchema, IdSchema, LimitSchema, queryOf } from "./common.ts";
import { freeText } from "./free-text.ts";

export const CreateRefundSchema = z
  .object({
    // Echoed in a not-found error that an Idempotency-Key then stores: no card numbers in it.
    // (`reason` is an enum, not free text.)
    payment_id: freeText(z.string().min(1).max(64)),
    amount: AmountSchema.optional().openapi({ description: "Defaults to everything not yet refunded" }),
    reason: z.enum(["duplicate", "fraudulent", "requested_by_customer"]).optional(),
  })
  .strict()
  .openapi("CreateRefund");

export const RefundSchema = z
  .object({
    id: z.string().openapi({ example: "re_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("refund"),
    payment_id: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    reason: z.string().nullable(),
    created: z.number().int(),
  })
  .openapi("Refund");

export const ListRefundsQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional(),
  payment_id: IdSchema.optional(),
});

export const RefundListSchema = z
  .object({ object: z.literal("list"), data: z.array(RefundSchema), has_more: z.boolean() })
  .openapi("RefundList");

export type CreateRefundInput = z.infer<typeof CreateRefundSchema>;
export type RefundBody = z.infer<typeof RefundSchema>;
export type ListRefundsQuery = z.infer<typeof ListRefundsQuerySchema>;
