// The one error shape (shared/errors.ts) as a zod schema, for the OpenAPI documents and for
// clients that parse an error answer.
import { z } from "zod";
import { errorCodes } from "../errors.ts";

export const errorBodySchema = z.object({
  error: z.object({
    type: z.enum([
      "invalid_request_error",
      "authentication_error",
      "permission_error",
      "card_error",
      "idempotency_error",
      "rate_limit_error",
      "api_error",
    ]),
    code: z.enum(errorCodes as [string, ...string[]]),
    message: z.string(),
    param: z.string().optional(),
    request_id: z.string(),
  }),
});
