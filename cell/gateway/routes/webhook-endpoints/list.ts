import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listEndpoints } from "../../../db/queries/webhooks.ts";
import { endpointView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses } from "../../schemas/common.ts";
import { ListWebhookEndpointsQuerySchema, WebhookEndpointListSchema } from "../../schemas/webhook.ts";

export const listWebhookEndpointsRoute = createRoute({
  method: "get",
  path: "/v1/webhook_endpoints",
  tags: ["Webhooks"],
  summary: "List webhook endpoints, newest first (never their secrets)",
  security: [{ bearer: [] }],
  request: { query: ListWebhookEndpointsQuerySchema },
  responses: {
    200: {
      description: "A page of endpoints",
      content: { "application/json": { schema: WebhookEndpointListSchema } },
    },
    ...errorResponses,
  },
});

export function registerListWebhookEndpoints(app: OpenAPIHono<AppEnv>) {
  app.openapi(listWebhookEndpointsRoute, async (c) => {
    const q = c.req.valid("query");
    const { sql, clock } = c.get("deps");
    const rows = await listEndpoints(sql, c.get("partner").scope, {
      limit: q.limit,
      startingAfter: q.starting_after,
    });
    const now = clock();
    const data = rows.slice(0, q.limit).map((e) => endpointView(e, now));
    return c.json({ object: "list" as const, data, has_more: rows.length > q.limit }, 200);
  });
}
