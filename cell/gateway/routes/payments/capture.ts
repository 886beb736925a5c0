import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { capturePayment } from "../../../payments/change-payment.ts";
import type { AppEnv } from "../../app-env.ts";
import { runIdempotently } from "../../idempotency.ts";
import { paymentDepsOf } from "../../payment-deps-of.ts";
import {
  IdempotencyHeaderSchema,
  IdParamsSchema,
  NoQuerySchema,
  writeErrorResponses,
} from "../../schemas/common.ts";
import { CapturePaymentSchema, PaymentSchema } from "../../schemas/payment.ts";

export const capturePaymentRoute = createRoute({
  method: "post",
  path: "/v1/payments/{id}/capture",
  tags: ["Payments"],
  summary: "Capture an authorized payment (all of it, or one partial capture)",
  security: [{ bearer: [] }],
  request: {
    query: NoQuerySchema,
    params: IdParamsSchema,
    headers: IdempotencyHeaderSchema,
    body: { content: { "application/json": { schema: CapturePaymentSchema } }, required: false },
  },
  responses: {
    200: { description: "The captured payment", content: { "application/json": { schema: PaymentSchema } } },
    ...writeErrorResponses,
  },
});

export function registerCapturePayment(app: OpenAPIHono<AppEnv>) {
  app.openapi(capturePaymentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") ?? {};
    const { scope } = c.get("partner");
    return runIdempotently(c, { id, ...body }, 200, async (idem) => {
      const result = await capturePayment(
        paymentDepsOf(c),
        scope,
        id,
        body.amount_to_capture,
        idem && { ...idem, responseStatus: 200 },
      );
      return { body: result.payment, keyFinished: result.keyFinished };
    });
  });
}
