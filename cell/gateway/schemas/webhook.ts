// Webhook endpoints, deliveries and attempts at the API edge.
import { z } from "@hono/zod-openapi";
import { apiVersionError, apiVersions, LATEST_API_VERSION } from "../../../shared/api-versions.ts";
import { eventTypes } from "../../events/envelope.ts";
import { attemptReasons } from "../../webhooks/attempt-reasons.ts";
import { IdSchema, LimitSchema, queryOf } from "./common.ts";
import { freeText } from "./free-text.ts";

const EventTypeFilterSchema = z
  .string()
  .refine((v) => v === "*" || (eventTypes as readonly string[]).includes(v), {
    message: `must be "*" or one of ${eventTypes.join(", ")}`,
  })
  .openapi({ example: "payment.captured", description: `"*" or one of: ${eventTypes.join(", ")}` });

const EndpointApiVersionSchema = z.enum(apiVersions, apiVersionError).openapi({
  example: LATEST_API_VERSION,
  description:
    "The API version this endpoint's events are rendered (and signed) in. Defaults to your account's pinned version. Upgrade one endpoint at a time: create a second endpoint on the new version, switch your code, then delete the old one, or update this one when your handler reads both shapes.",
});

export const CreateWebhookEndpointSchema = z
  .object({
    // The URL is stored and shown too: a card number in its path or query is refused like in free text.
    url: freeText(z.string().min(1).max(2048), { percentEncoded: true }).openapi({
      example: "https://example.com/cellpay/webhooks",
      description:
        "http(s), without credentials. It must resolve only to public addresses (no private, loopback, link-local, metadata or other special-purpose targets), checked again on every delivery.",
    }),
    enabled_events: z.array(EventTypeFilterSchema).min(1).max(32).default(["*"]),
    description: freeText(z.string().max(500))
      .optional()
      .openapi({ description: "Your own note about this endpoint." }),
    api_version: EndpointApiVersionSchema.optional(),
  })
  .strict()
  .openapi("CreateWebhookEndpoint");

export const UpdateWebhookEndpointSchema = z
  .object({
    api_version: EndpointApiVersionSchema.optional(),
    description: freeText(z.string().max(500)).optional(),
  })
  .strict()
  .refine((b) => b.api_version !== undefined || b.description !== undefined, {
    message: "give api_version or description",
  })
  .openapi("UpdateWebhookEndpoint");

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
    livemode: z.boolean().openapi({ description: "Created with a live key." }),
    api_version: z.string().openapi({ description: "The API version its events are rendered in." }),
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

/** Why an attempt failed, as a class: the raw connection error is never shown. */
const AttemptReasonSchema = z.enum(attemptReasons).openapi("WebhookAttemptReason", {
  description:
    "Why the attempt failed: blocked_destination (the host resolved to an address webhooks may not reach), dns_error, connection_refused, connection_reset, unreachable, timeout, tls_error, invalid_response, http_1xx/3xx/4xx/5xx (the endpoint answered that; redirects are not followed), endpoint_disabled, event_not_found, interrupted (the sender stopped; retried at once), connection_error (anything else).",
});

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: "wd_0mh1x2y3z4abcdefghijklmn" }),
    object: z.literal("webhook_delivery"),
    livemode: z.boolean(),
    endpoint_id: z.string(),
    event_id: z.string(),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    next_attempt: z.number().int().nullable().openapi({ description: "Unix seconds; null unless pending" }),
    last_status_code: z.number().int().nullable(),
    last_error: AttemptReasonSchema.nullable().openapi({ description: "The last failed attempt's reason" }),
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
    error: AttemptReasonSchema.nullable().openapi({ description: "null when the attempt succeeded" }),
    duration_ms: z.number().int().openapi({
      description:
        "Rounded to 100 ms; 0 when no connection was opened (blocked_destination, dns_error, endpoint_disabled, event_not_found).",
    }),
    attempted_at_ms: z.number().int().openapi({ description: "Unix milliseconds" }),
    created: z.number().int(),
  })
  .openapi("WebhookAttempt");

export const WebhookAttemptListSchema = z
  .object({ object: z.literal("list"), data: z.array(WebhookAttemptSchema), has_more: z.boolean() })
  .openapi("WebhookAttemptList");

export type UpdateWebhookEndpointInput = z.infer<typeof UpdateWebhookEndpointSchema>;
export type CreateWebhookEndpointInput = z.infer<typeof CreateWebhookEndpointSchema>;
export type WebhookEndpointBody = z.infer<typeof WebhookEndpointSchema>;
export type WebhookDeliveryBody = z.infer<typeof WebhookDeliverySchema>;
export type WebhookAttemptBody = z.infer<typeof WebhookAttemptSchema>;
