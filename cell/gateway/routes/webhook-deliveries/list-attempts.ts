import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listDeliveryAttempts } from "../../../webhooks/deliveries.ts";
import { attemptView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { WebhookAttemptListSchema } from "../../schemas/webhook.ts";

export const listWebhookAttemptsRoute = createRoute({
  method: "get",
  path: "/v1/webhook_deliveries/{id}/attempts",
  tags: ["Webhooks"],
  summary: "List a delivery's attempts, oldest first, with the status code or error of each",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: {
      description: "The attempts",
      content: { "application/json": { schema: WebhookAttemptListSchema } },
    },
    ...errorResponses,
  },
});

export function registerListWebhookAttempts(app: OpenAPIHono<AppEnv>) {
  app.openapi(listWebhookAttemptsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const rows = await listDeliveryAttempts(c.get("deps").sql, c.get("partner").scope, id);
    return c.json({ object: "list" as const, data: rows.map(attemptView), has_more: false }, 200);
  });
}
