import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { createRefund } from "../../../payments/refund-payment.ts";
import type { AppEnv } from "../../app-env.ts";
import { runIdempotently } from "../../idempotency.ts";
import { paymentDepsOf } from "../../payment-deps-of.ts";
import { IdempotencyHeaderSchema, NoQuerySchema, writeErrorResponses } from "../../schemas/common.ts";
import { CreateRefundSchema, RefundSchema } from "../../schemas/refund.ts";

export const createRefundRoute = createRoute({
  method: "post",
  path: "/v1/refunds",
  tags: ["Refunds"],
  summary: "Refund a captured payment (all of it, or part; several refunds up to the captured amount)",
  security: [{ bearer: [] }],
  request: {
    query: NoQuerySchema,
    headers: IdempotencyHeaderSchema,
    body: { content: { "application/json": { schema: CreateRefundSchema } }, required: true },
  },
  responses: {
    201: { description: "The refund", content: { "application/json": { schema: RefundSchema } } },
    ...writeErrorResponses,
  },
});

export function registerCreateRefund(app: OpenAPIHono<AppEnv>) {
  app.openapi(createRefundRoute, async (c) => {
    const input = c.req.valid("json");
    const { scope } = c.get("partner");
    return runIdempotently(c, input, 201, async (idem) => {
      const result = await createRefund(
        paymentDepsOf(c),
        scope,
        input,
        idem && { ...idem, responseStatus: 201 },
      );
      c.get("deps").outboxWaker.wake();
      return { body: result.refund, keyFinished: result.keyFinished };
    });
  });
}
