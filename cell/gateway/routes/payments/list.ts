import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listPayments } from "../../../db/queries/payments.ts";
import { paymentView } from "../../../payments/payment-view.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses } from "../../schemas/common.ts";
import { ListPaymentsQuerySchema, PaymentListSchema } from "../../schemas/payment.ts";

export const listPaymentsRoute = createRoute({
  method: "get",
  path: "/v1/payments",
  tags: ["Payments"],
  summary: "List payments, newest first",
  description: "Cursor pagination: pass the last id you got as `starting_after` while `has_more` is true.",
  security: [{ bearer: [] }],
  request: { query: ListPaymentsQuerySchema },
  responses: {
    200: {
      description: "A page of payments",
      content: { "application/json": { schema: PaymentListSchema } },
    },
    ...errorResponses,
  },
});

const fromUnix = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000));

export function registerListPayments(app: OpenAPIHono<AppEnv>) {
  app.openapi(listPaymentsRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listPayments(c.get("deps").sql, c.get("partner").scope, {
      limit: q.limit,
      startingAfter: q.starting_after,
      status: q.status,
      createdGte: fromUnix(q["created[gte]"]),
      createdGt: fromUnix(q["created[gt]"]),
      createdLte: fromUnix(q["created[lte]"]),
      createdLt: fromUnix(q["created[lt]"]),
    });
    const page = rows.slice(0, q.limit);
    return c.json(
      { object: "list" as const, data: page.map(paymentView), has_more: rows.length > q.limit },
      200,
    );
  });
}
