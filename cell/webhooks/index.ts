// Webhooks to partners, as the processor process uses them: the "webhooks" event handler (fan-out
// to pending deliveries) and the dispatcher that sends them. See README "Webhooks".
export { type BackoffPolicy, backoffDelayMs, decideRetry } from "./backoff.ts";
export { parseWebhookEnv } from "./config.ts";
export {
  type DispatcherOptions,
  defaultDispatcherOptions,
  startWebhookDispatcher,
  type WebhookDispatcher,
} from "./dispatcher.ts";
export { createWebhookHandler } from "./event-fan-out.ts";
export { SIGNATURE_HEADER, signPayload, verifySignature } from "./signature.ts";
