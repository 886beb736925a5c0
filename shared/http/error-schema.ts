// The one error shape (shared/errors.ts) as a zod schema, for every service's OpenAPI document
// (each names it: the partner API "Error", the admin API "AdminError") and for clients that parse
// an error answer.
import { z } from "@hono/zod-openapi";
import { errorCodes } from "../errors.ts";

export const errorBodySchema = z.object({
  error: z.object({
    type: z
      .enum([
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "card_error",
        "idempotency_error",
        "rate_limit_error",
        "api_error",
      ])
      .openapi({ example: "invalid_request_error" }),
    code: z.enum(errorCodes as [string, ...string[]]).openapi({ example: "invalid_request" }),
    message: z.string(),
    param: z.string().optional().openapi({ example: "amount" }),
    request_id: z.string().openapi({ example: "req_0mh1x2y3z4abcdefghijklmn" }),
  }),
});
