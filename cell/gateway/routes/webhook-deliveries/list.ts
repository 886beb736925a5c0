import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listDeliveries } from "../../../db/queries/webhooks.ts";
import { deliveryView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses } from "../../schemas/common.ts";
import { ListWebhookDeliveriesQuerySchema, WebhookDeliveryListSchema } from "../../schemas/webhook.ts";

export const listWebhookDeliveriesRoute = createRoute({
  method: "get",
  path: "/v1/webhook_deliveries",
  tags: ["Webhooks"],
  summary: "List webhook deliveries, newest first (filter by event or status, e.g. dead)",
  security: [{ bearer: [] }],
  request: { query: ListWebhookDeliveriesQuerySchema },
  responses: {
    200: {
      description: "A page of deliveries",
      content: { "application/json": { schema: WebhookDeliveryListSchema } },
    },
    ...errorResponses,
  },
});

export function registerListWebhookDeliveries(app: OpenAPIHono<AppEnv>) {
  app.openapi(listWebhookDeliveriesRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listDeliveries(c.get("deps").sql, c.get("partner").scope, {
      limit: q.limit,
      startingAfter: q.starting_after,
      eventId: q.event_id,
      status: q.status,
    });
    const data = rows.slice(0, q.limit).map(deliveryView);
    return c.json({ object: "list" as const, data, has_more: rows.length > q.limit }, 200);
  });
}
