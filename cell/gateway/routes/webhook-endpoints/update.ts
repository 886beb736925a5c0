import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { updateWebhookEndpoint } from "../../../webhooks/endpoints.ts";
import { endpointView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { UpdateWebhookEndpointSchema, WebhookEndpointSchema } from "../../schemas/webhook.ts";

export const updateWebhookEndpointRoute = createRoute({
  method: "post",
  path: "/v1/webhook_endpoints/{id}",
  tags: ["Webhooks"],
  summary: "Update a webhook endpoint: its API version or description",
  description:
    "Events not yet delivered are rendered in the new version from the next attempt on: they are stored once, in the newest shape, and rendered per endpoint when sent.",
  security: [{ bearer: [] }],
  request: {
    query: NoQuerySchema,
    params: IdParamsSchema,
    body: { content: { "application/json": { schema: UpdateWebhookEndpointSchema } }, required: true },
  },
  responses: {
    200: { description: "The endpoint", content: { "application/json": { schema: WebhookEndpointSchema } } },
    ...errorResponses,
  },
});

export function registerUpdateWebhookEndpoint(app: OpenAPIHono<AppEnv>) {
  app.openapi(updateWebhookEndpointRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, clock } = c.get("deps");
    const endpoint = await updateWebhookEndpoint(sql, c.get("partner").scope, id, c.req.valid("json"));
    return c.json(endpointView(endpoint, clock()), 200);
  });
}
