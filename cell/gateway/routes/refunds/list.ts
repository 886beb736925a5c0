import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listRefunds } from "../../../db/queries/refunds.ts";
import { refundView } from "../../../payments/payment-view.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses } from "../../schemas/common.ts";
import { ListRefundsQuerySchema, RefundListSchema } from "../../schemas/refund.ts";

export const listRefundsRoute = createRoute({
  method: "get",
  path: "/v1/refunds",
  tags: ["Refunds"],
  summary: "List refunds, newest first (optionally of one payment)",
  security: [{ bearer: [] }],
  request: { query: ListRefundsQuerySchema },
  responses: {
    200: { description: "A page of refunds", content: { "application/json": { schema: RefundListSchema } } },
    ...errorResponses,
  },
});

export function registerListRefunds(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRefundsRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listRefunds(c.get("deps").sql, c.get("partner").scope, {
      limit: q.limit,
      startingAfter: q.starting_after,
      paymentId: q.payment_id,
    });
    const page = rows.slice(0, q.limit);
    return c.json(
      { object: "list" as const, data: page.map(refundView), has_more: rows.length > q.limit },
      200,
    );
  });
}
