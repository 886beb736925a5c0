import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { pinnedVersion } from "../../../api-versions/pinned-version.ts";
import { createWebhookEndpoint } from "../../../webhooks/endpoints.ts";
import { endpointView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, NoQuerySchema } from "../../schemas/common.ts";
import { CreateWebhookEndpointSchema, WebhookEndpointWithSecretSchema } from "../../schemas/webhook.ts";

export const createWebhookEndpointRoute = createRoute({
  method: "post",
  path: "/v1/webhook_endpoints",
  tags: ["Webhooks"],
  summary: "Create a webhook endpoint; its signing secret is in this response only",
  description:
    "No Idempotency-Key replay here: a replay would have to keep the secret in clear. Retrying creates another endpoint; delete the extra one.",
  security: [{ bearer: [] }],
  request: {
    query: NoQuerySchema,
    body: { content: { "application/json": { schema: CreateWebhookEndpointSchema } }, required: true },
  },
  responses: {
    201: {
      description: "The endpoint, with its secret",
      content: { "application/json": { schema: WebhookEndpointWithSecretSchema } },
    },
    ...errorResponses,
  },
});

export function registerCreateWebhookEndpoint(app: OpenAPIHono<AppEnv>) {
  app.openapi(createWebhookEndpointRoute, async (c) => {
    const input = c.req.valid("json");
    const { sql, vault, clock, config } = c.get("deps");
    const { partnerId, mode } = c.get("partner");
    const { endpoint, secret } = await createWebhookEndpoint(
      { sql, vault, clock, allowPrivateTargets: config.webhookAllowPrivateTargets },
      { partnerId, mode },
      // Default: the account's pin (not this request's Cellpay-Version), as the field says.
      { ...input, api_version: input.api_version ?? pinnedVersion(c.get("partner").settings) },
    );
    return c.json({ ...endpointView(endpoint, clock()), secret }, 201);
  });
}
