import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { resendWebhookDelivery } from "../../../webhooks/deliveries.ts";
import { deliveryView } from "../../../webhooks/views.ts";
import type { AppEnv } from "../../app-env.ts";
import { ErrorSchema, errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { WebhookDeliverySchema } from "../../schemas/webhook.ts";

export const resendWebhookDeliveryRoute = createRoute({
  method: "post",
  path: "/v1/webhook_deliveries/{id}/resend",
  tags: ["Webhooks"],
  summary: "Send a dead (or succeeded) delivery again",
  description: "It becomes pending, due now, and gets a fresh retry window. A pending delivery answers 409.",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: {
      description: "The delivery, pending again",
      content: { "application/json": { schema: WebhookDeliverySchema } },
    },
    ...errorResponses,
    409: { description: "The delivery is pending", content: { "application/json": { schema: ErrorSchema } } },
  },
});

export function registerResendWebhookDelivery(app: OpenAPIHono<AppEnv>) {
  app.openapi(resendWebhookDeliveryRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, clock } = c.get("deps");
    const delivery = await resendWebhookDelivery(sql, c.get("partner").scope, id, clock());
    return c.json(deliveryView(delivery), 200);
  });
}
