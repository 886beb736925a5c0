import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { rollWebhookSecret } from "../../../webhooks/endpoints.ts";
import { endpointView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { RollWebhookSecretSchema, WebhookEndpointWithSecretSchema } from "../../schemas/webhook.ts";

export const rollWebhookSecretRoute = createRoute({
  method: "post",
  path: "/v1/webhook_endpoints/{id}/roll_secret",
  tags: ["Webhooks"],
  summary: "Roll an endpoint's signing secret; the new one is in this response only",
  description:
    "Until `overlap_seconds` have passed, deliveries carry two v1 signatures: the new secret's and the previous one's.",
  security: [{ bearer: [] }],
  request: {
    query: NoQuerySchema,
    params: IdParamsSchema,
    body: { content: { "application/json": { schema: RollWebhookSecretSchema } }, required: false },
  },
  responses: {
    200: {
      description: "The endpoint, with its new secret",
      content: { "application/json": { schema: WebhookEndpointWithSecretSchema } },
    },
    ...errorResponses,
  },
});

export function registerRollWebhookSecret(app: OpenAPIHono<AppEnv>) {
  app.openapi(rollWebhookSecretRoute, async (c) => {
    const { id } = c.req.valid("param");
    const overlap = c.req.valid("json")?.overlap_seconds ?? 86_400;
    const { sql, vault, clock } = c.get("deps");
    const { endpoint, secret } = await rollWebhookSecret(
      { sql, vault, clock },
      c.get("partner").scope,
      id,
      overlap,
    );
    return c.json({ ...endpointView(endpoint, clock()), secret }, 200);
  });
}
