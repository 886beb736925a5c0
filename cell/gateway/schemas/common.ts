// Schemas shared by several resources: the error shape, money, metadata, list envelopes.
import { z } from "@hono/zod-openapi";
import { errorBodySchema } from "../../../shared/http/error-schema.ts";
import { MAX_AMOUNT, normalizeCurrency } from "../../payments/currencies.ts";

export const ErrorSchema = errorBodySchema.openapi("Error");

export const AmountSchema = z
  .number()
  .int("must be an integer amount in the currency's minor unit")
  .min(1, "must be at least 1")
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`)
  .openapi({
    description: "Amount in the currency's minor unit (cents for EUR, yen for JPY).",
    example: 1999,
  });

/** ISO 4217, any case in, upper case out; an unknown code is an `unknown_currency` 400. */
export const CurrencySchema = z
  .string()
  .transform((value, ctx) => {
    const code = normalizeCurrency(value);
    if (!code) {
      ctx.addIssue({
        code: "custom",
        message: `'${value.slice(0, 8)}' is not an ISO 4217 currency`,
        params: { code: "unknown_currency" },
      });
      return z.NEVER;
    }
    return code;
  })
  .openapi({ type: "string", description: "ISO 4217 currency code, any case", example: "eur" });

export const MetadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, "at most 50 keys")
  .openapi({ description: "Up to 50 string keys and values of your own.", example: { order_id: "6735" } });

export const LimitSchema = z.coerce.number().int().min(1).max(100).default(10).openapi({ example: 10 });

export const errorResponses = {
  400: { description: "Invalid request", content: { "application/json": { schema: ErrorSchema } } },
  401: {
    description: "Missing, unknown or revoked API key",
    content: { "application/json": { schema: ErrorSchema } },
  },
  404: { description: "No such resource", content: { "application/json": { schema: ErrorSchema } } },
} as const;

export const writeErrorResponses = {
  ...errorResponses,
  409: {
    description: "Invalid state transition, or a concurrent request with the same Idempotency-Key",
    content: { "application/json": { schema: ErrorSchema } },
  },
  422: {
    description: "Idempotency-Key reused with another body, or an amount above what is left",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;

export const IdempotencyHeaderSchema = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().openapi({
    description: "Retry-safe key, scoped to your account and kept 24 hours.",
    example: "order-6735-pay",
  }),
});
