import { z } from "@hono/zod-openapi";
import { MaskedCardSchema } from "../../payments/payment-objects.ts";
import { freeText } from "./free-text.ts";

export const CardInputSchema = z
  .object({
    number: z.string().min(1).max(32).openapi({ example: "4242424242424242" }),
    exp_month: z.number().int().openapi({ example: 12 }),
    exp_year: z.number().int().openapi({ example: 2034 }),
    cvc: z.string().min(1).max(8).openapi({ example: "123" }),
    holder_name: freeText(z.string().max(200)).optional(),
  })
  .strict()
  .openapi("CardInput");

/** The masked card of payments and tokens: the domain's object (payments/payment-objects.ts). */
export const CardSchema = MaskedCardSchema;

export const CardTokenSchema = z
  .object({
    id: z.string().openapi({ example: "tok_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("card_token"),
    livemode: z.boolean(),
    card: CardSchema,
    created: z.number().int().openapi({ description: "Unix seconds" }),
  })
  .openapi("CardToken");

export const DeletedCardTokenSchema = z
  .object({
    id: z.string().openapi({ example: "tok_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("card_token"),
    livemode: z.boolean(),
    deleted: z.literal(true),
    card: CardSchema,
  })
  .openapi("DeletedCardToken");

export type CardTokenBody = z.infer<typeof CardTokenSchema>;
