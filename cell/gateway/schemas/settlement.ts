import { z } from "@hono/zod-openapi";
import { IdSchema, LimitSchema, queryOf } from "./common.ts";

export const SettlementItemSchema = z
  .object({
    kind: z.enum(["payment", "refund"]),
    object_id: z.string().openapi({ example: "pay_0mh1x2y3z4abcdefghijklmn" }),
    amount: z.number().int(),
    fee: z.number().int().openapi({ description: "Platform fee on a payment; 0 for a refund." }),
    created: z.number().int().openapi({ description: "Unix seconds" }),
  })
  .openapi("SettlementItem");

export const SettlementSchema = z
  .object({
    id: z.string().openapi({ example: "stl_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("settlement"),
    livemode: z.boolean(),
    payable: z.boolean().openapi({
      description: "Whether its net amount is paid out: live mode only; a test settlement never is.",
    }),
    currency: z.string().openapi({ example: "EUR" }),
    day: z
      .string()
      .openapi({ description: "UTC day of the payments and refunds in it", example: "2025-01-31" }),
    status: z.enum(["open", "closed"]),
    gross_amount: z.number().int().openapi({ description: "Captured" }),
    refunded_amount: z.number().int(),
    fee_amount: z.number().int(),
    net_amount: z.number().int().openapi({ description: "Payable: gross − fees − refunded" }),
    payment_count: z.number().int(),
    refund_count: z.number().int(),
    created: z.number().int().openapi({ description: "Unix seconds" }),
    items: z.array(SettlementItemSchema).optional().openapi({ description: "Only when retrieved by id" }),
  })
  .openapi("Settlement");

export const ListSettlementsQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional().openapi({ description: "A settlement id: the page after it" }),
});

export const SettlementListSchema = z
  .object({ object: z.literal("list"), data: z.array(SettlementSchema), has_more: z.boolean() })
  .openapi("SettlementList");

export type SettlementBody = z.infer<typeof SettlementSchema>;
