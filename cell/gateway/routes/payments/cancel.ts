import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { cancelPayment } from "../../../payments/change-payment.ts";
import type { AppEnv } from "../../app-env.ts";
import { runIdempotently } from "../../idempotency.ts";
import { paymentDepsOf } from "../../payment-deps-of.ts";
import {
  IdempotencyHeaderSchema,
  IdParamsSchema,
  NoQuerySchema,
  writeErrorResponses,
} from "../../schemas/common.ts";
import { PaymentSchema } from "../../schemas/payment.ts";

export const cancelPaymentRoute = createRoute({
  method: "post",
  path: "/v1/payments/{id}/cancel",
  tags: ["Payments"],
  summary: "Cancel (void) an authorized, uncaptured payment",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema, headers: IdempotencyHeaderSchema },
  responses: {
    200: { description: "The canceled payment", content: { "application/json": { schema: PaymentSchema } } },
    ...writeErrorResponses,
  },
});

export function registerCancelPayment(app: OpenAPIHono<AppEnv>) {
  app.openapi(cancelPaymentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { scope } = c.get("partner");
    return runIdempotently(c, { id }, 200, async (idem) => {
      const result = await cancelPayment(
        paymentDepsOf(c),
        scope,
        id,
        idem && { ...idem, responseStatus: 200 },
      );
      return { body: result.payment, keyFinished: result.keyFinished };
    });
  });
}
