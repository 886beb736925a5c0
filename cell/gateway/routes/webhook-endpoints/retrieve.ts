import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { retrieveWebhookEndpoint } from "../../../webhooks/endpoints.ts";
import { endpointView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { WebhookEndpointSchema } from "../../schemas/webhook.ts";

export const retrieveWebhookEndpointRoute = createRoute({
  method: "get",
  path: "/v1/webhook_endpoints/{id}",
  tags: ["Webhooks"],
  summary: "Retrieve a webhook endpoint (never its secret)",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: { description: "The endpoint", content: { "application/json": { schema: WebhookEndpointSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveWebhookEndpoint(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveWebhookEndpointRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, clock } = c.get("deps");
    const endpoint = await retrieveWebhookEndpoint(sql, c.get("partner").scope, id);
    return c.json(endpointView(endpoint, clock()), 200);
  });
}
