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

/**
 * A whole number in a query string: digits only (no sign, exponent, hex or blanks, which
 * `Number()` would accept), checked against its range before it reaches a query.
 */
export const queryInteger = (min: number, max: number, description?: string) =>
  z
    .string()
    .regex(/^[0-9]{1,16}$/, "must be a whole number written with digits only")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .openapi({ type: "integer", minimum: min, maximum: max, ...(description ? { description } : {}) });

export const LimitSchema = queryInteger(1, 100).default(10).openapi({ example: 10, default: 10 });

/**
 * The last second both JavaScript dates and Postgres timestamps hold (9999-12-31T23:59:59Z): a
 * larger bound made an invalid Date that failed inside the query as a 500.
 */
export const MAX_UNIX_SECONDS = 253_402_300_799;
export const UnixSecondsQuerySchema = queryInteger(0, MAX_UNIX_SECONDS, "Unix seconds");

/** An object id as the API makes them (`pay_…`, `re_…`): anything else can name no object. */
export const IdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9_]+$/, "must be an object id such as pay_0mh1x2y3z4abcdefghijklmn")
  .openapi({ example: "pay_0mh1x2y3z4abcdefghijklmn" });

/** The `{id}` path parameter of a resource route. */
export const IdParamsSchema = z.object({ id: IdSchema });

/**
 * Query schemas reject parameters they do not declare (400 naming the parameter) rather than
 * ignore them: a misspelt filter silently widening a list is worse than an error.
 */
export const queryOf = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);

/** The query of a route that takes no query parameters: any parameter is refused. */
export const NoQuerySchema = z.strictObject({});

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
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    // Printable ASCII: the key is stored and compared as text, and echoed in error messages.
    .regex(/^[\x20-\x7e]+$/, "must be printable ASCII")
    .optional()
    .openapi({
      description: "Retry-safe key, scoped to your account and kept 24 hours.",
      example: "order-6735-pay",
    }),
});
