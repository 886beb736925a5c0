import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { notFound } from "../../../../shared/errors.ts";
import { findRefund } from "../../../db/queries/refunds.ts";
import { refundView } from "../../../payments/payment-view.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { RefundSchema } from "../../schemas/refund.ts";

export const retrieveRefundRoute = createRoute({
  method: "get",
  path: "/v1/refunds/{id}",
  tags: ["Refunds"],
  summary: "Retrieve a refund",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: { description: "The refund", content: { "application/json": { schema: RefundSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveRefund(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveRefundRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findRefund(c.get("deps").sql, c.get("partner").scope, id);
    if (!row) throw notFound("refund", id);
    return c.json(refundView(row), 200);
  });
}
