// Webhook rows as partners see them. The sealed secrets never leave this mapping.

import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from "../db/queries/webhooks.ts";
import type {
  WebhookAttemptBody,
  WebhookDeliveryBody,
  WebhookEndpointBody,
} from "../gateway/schemas/webhook.ts";
import { asAttemptReason } from "./attempt-reasons.ts";

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

export function endpointView(e: WebhookEndpointRow, now: Date): WebhookEndpointBody {
  const rolling = e.previous_secret_expires_at && e.previous_secret_expires_at > now;
  return {
    id: e.id,
    object: "webhook_endpoint",
    url: e.url,
    description: e.description,
    enabled_events: e.enabled_events,
    status: e.status,
    livemode: e.mode === "live",
    api_version: e.api_version,
    previous_secret_expires:
      rolling && e.previous_secret_expires_at ? unix(e.previous_secret_expires_at) : null,
    created: unix(e.created_at),
  };
}

export function deliveryView(d: WebhookDeliveryRow): WebhookDeliveryBody {
  return {
    id: d.id,
    object: "webhook_delivery",
    livemode: d.livemode,
    endpoint_id: d.endpoint_id,
    event_id: d.event_id,
    status: d.status,
    attempts: d.attempts,
    next_attempt: d.status === "pending" ? unix(d.next_attempt_at) : null,
    last_status_code: d.last_status_code,
    last_error: asAttemptReason(d.last_error),
    created: unix(d.created_at),
  };
}

export function attemptView(a: WebhookAttemptRow): WebhookAttemptBody {
  return {
    object: "webhook_attempt",
    delivery_id: a.delivery_id,
    attempt: a.attempt,
    status_code: a.status_code,
    error: asAttemptReason(a.error),
    duration_ms: a.duration_ms,
    attempted_at_ms: a.attempted_at.getTime(),
    created: unix(a.attempted_at),
  };
}
