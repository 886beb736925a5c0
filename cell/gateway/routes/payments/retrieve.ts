import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { notFound } from "../../../../shared/errors.ts";
import { findPayment } from "../../../db/queries/payments.ts";
import { paymentView } from "../../../payments/payment-view.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { PaymentSchema } from "../../schemas/payment.ts";

export const retrievePaymentRoute = createRoute({
  method: "get",
  path: "/v1/payments/{id}",
  tags: ["Payments"],
  summary: "Retrieve a payment",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: { description: "The payment", content: { "application/json": { schema: PaymentSchema } } },
    ...errorResponses,
  },
});

export function registerRetrievePayment(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrievePaymentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, paymentCache } = c.get("deps");
    const { scope } = c.get("partner");
    const cached = await paymentCache.get(scope.partnerId, id);
    // Ids are unique across modes: a cached payment of the other mode is not found, as in Postgres.
    if (cached) {
      if (cached.livemode !== scope.livemode) throw notFound("payment", id);
      return c.json(cached, 200);
    }
    const row = await findPayment(sql, scope, id);
    if (!row) throw notFound("payment", id);
    const body = paymentView(row);
    // A processing payment is never cached: so the first change of a new payment needs no tombstone.
    if (row.status !== "processing") await paymentCache.fill(scope.partnerId, id, row.version, body);
    return c.json(body, 200);
  });
}
