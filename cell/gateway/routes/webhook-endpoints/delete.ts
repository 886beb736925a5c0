import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { disableWebhookEndpoint } from "../../../webhooks/endpoints.ts";
import { endpointView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { WebhookEndpointSchema } from "../../schemas/webhook.ts";

export const deleteWebhookEndpointRoute = createRoute({
  method: "delete",
  path: "/v1/webhook_endpoints/{id}",
  tags: ["Webhooks"],
  summary: "Disable a webhook endpoint",
  description: "It receives nothing more; its pending deliveries end as dead. Its history stays listable.",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: {
      description: "The disabled endpoint",
      content: { "application/json": { schema: WebhookEndpointSchema } },
    },
    ...errorResponses,
  },
});

export function registerDeleteWebhookEndpoint(app: OpenAPIHono<AppEnv>) {
  app.openapi(deleteWebhookEndpointRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, clock } = c.get("deps");
    const endpoint = await disableWebhookEndpoint(sql, c.get("partner").scope, id);
    return c.json(endpointView(endpoint, clock()), 200);
  });
}
