import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { notFound } from "../../../../shared/errors.ts";
import { findPayment } from "../../../db/queries/payments.ts";
import { paymentView } from "../../../payments/payment-view.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses } from "../../schemas/common.ts";
import { PaymentSchema } from "../../schemas/payment.ts";

export const retrievePaymentRoute = createRoute({
  method: "get",
  path: "/v1/payments/{id}",
  tags: ["Payments"],
  summary: "Retrieve a payment",
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: { description: "The payment", content: { "application/json": { schema: PaymentSchema } } },
    ...errorResponses,
  },
});

export function registerRetrievePayment(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrievePaymentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findPayment(c.get("deps").sql, c.get("partner").partnerId, id);
    if (!row) throw notFound("payment", id);
    return c.json(paymentView(row), 200);
  });
}
