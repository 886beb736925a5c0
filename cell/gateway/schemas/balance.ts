import { z } from "@hono/zod-openapi";

export const BalanceSchema = z
  .object({
    object: z.literal("balance"),
    available: z
      .array(
        z.object({
          currency: z.string().openapi({ example: "EUR" }),
          amount: z.number().int().openapi({
            description: "Owed to you in the currency's minor unit: captured − fees − refunded, as recorded.",
            example: 97_087,
          }),
        }),
      )
      .openapi({ description: "One entry per currency you have been paid in." }),
  })
  .openapi("Balance");

export type BalanceBody = z.infer<typeof BalanceSchema>;
