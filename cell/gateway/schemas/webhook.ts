// Webhook endpoints, deliveries and attempts at the API edge.
import { z } from "@hono/zod-openapi";
import { eventTypes } from "../../events/envelope.ts";
import { IdSchema, LimitSchema, queryOf } from "./common.ts";

const EventTypeFilterSchema = z
  .string()
  .refine((v) => v === "*" || (eventTypes as readonly string[]).includes(v), {
    message: `must be "*" or one of ${eventTypes.join(", ")}`,
  })
  .openapi({ example: "payment.captured", description: `"*" or one of: ${eventTypes.join(", ")}` });

export const CreateWebhookEndpointSchema = z
  .object({
    url: z.string().min(1).max(2048).openapi({
      example: "https://example.com/cellpay/webhooks",
      description:
        "http(s). With a live key it must resolve only to public addresses (no private, loopback or link-local targets).",
    }),
    enabled_events: z.array(EventTypeFilterSchema).min(1).max(32).default(["*"]),
    description: z
      .string()
      .max(500)
      .optional()
      .openapi({ description: "Your own note about this endpoint." }),
  })
  .strict()
  .openapi("CreateWebhookEndpoint");

export const RollWebhookSecretSchema = z
  .object({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(86_400)
      .openapi({
        description:
          "How long the previous secret keeps signing (a second v1) so you can switch without a gap.",
      }),
  })
  .strict()
  .openapi("RollWebhookSecret");

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: "we_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("webhook_endpoint"),
    url: z.string(),
    description: z.string().nullable(),
    enabled_events: z.array(z.string()),
    status: z.enum(["enabled", "disabled"]),
    livemode: z.boolean().openapi({ description: "Created with a live key (SSRF rules apply)." }),
    previous_secret_expires: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Unix seconds until which the previous secret also signs; null when none." }),
    created: z.number().int(),
  })
  .openapi("WebhookEndpoint");

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({ example: "whsec_…", description: "Shown only in this response." }),
}).openapi("WebhookEndpointWithSecret");

export const ListWebhookEndpointsQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional(),
});

export const WebhookEndpointListSchema = z
  .object({ object: z.literal("list"), data: z.array(WebhookEndpointSchema), has_more: z.boolean() })
  .openapi("WebhookEndpointList");

export const deliveryStatuses = ["pending", "succeeded", "dead"] as const;

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: "wd_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("webhook_delivery"),
    endpoint_id: z.string(),
    event_id: z.string(),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    next_attempt: z.number().int().nullable().openapi({ description: "Unix seconds; null unless pending" }),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created: z.number().int().openapi({ description: "Unix seconds; reset by a resend" }),
  })
  .openapi("WebhookDelivery");

export const ListWebhookDeliveriesQuerySchema = queryOf({
  limit: LimitSchema,
  starting_after: IdSchema.optional(),
  event_id: IdSchema.optional(),
  status: z.enum(deliveryStatuses).optional(),
});

export const WebhookDeliveryListSchema = z
  .object({ object: z.literal("list"), data: z.array(WebhookDeliverySchema), has_more: z.boolean() })
  .openapi("WebhookDeliveryList");

export const WebhookAttemptSchema = z
  .object({
    object: z.literal("webhook_attempt"),
    delivery_id: z.string(),
    attempt: z.number().int(),
    status_code: z.number().int().nullable().openapi({ description: "null when no HTTP answer came" }),
    error: z.string().nullable().openapi({ example: "timed out after 10000 ms" }),
    duration_ms: z.number().int(),
    attempted_at_ms: z.number().int().openapi({ description: "Unix milliseconds" }),
    created: z.number().int(),
  })
  .openapi("WebhookAttempt");

export const WebhookAttemptListSchema = z
  .object({ object: z.literal("list"), data: z.array(WebhookAttemptSchema), has_more: z.boolean() })
  .openapi("WebhookAttemptList");

export type CreateWebhookEndpointInput = z.infer<typeof CreateWebhookEndpointSchema>;
export type WebhookEndpointBody = z.infer<typeof WebhookEndpointSchema>;
export type WebhookDeliveryBody = z.infer<typeof WebhookDeliverySchema>;
export type WebhookAttemptBody = z.infer<typeof WebhookAttemptSchema>;
