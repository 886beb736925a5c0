// The "webhooks" event handler: turns each event into one pending delivery per enabled endpoint
// of its partner that wants the event's type. Idempotent by (endpoint, event), so a redelivered
// event adds nothing; the dispatcher does the sending, off the consumer's path.
import { insertDeliveriesForEvent } from "../db/queries/webhooks.ts";
import type { EventHandler, ProcessorDeps } from "../events/processors/event-handler.ts";
import { MAX_ENDPOINTS_PER_PARTNER } from "./endpoints.ts";
import { newDeliveryId } from "./webhook-ids.ts";

// Spare ids beyond the enabled-endpoint cap: two concurrent creates may both pass the cap check.
const IDS_PER_EVENT = MAX_ENDPOINTS_PER_PARTNER * 2;

export function createWebhookHandler(deps: ProcessorDeps): EventHandler {
  return {
    name: "webhooks",
    async handle(event) {
      const now = deps.clock();
      const ids = Array.from({ length: IDS_PER_EVENT }, () => newDeliveryId(now.getTime()));
      const n = await insertDeliveriesForEvent(
        deps.sql,
        { id: event.id, partnerId: event.partner_id, type: event.type },
        ids,
        now,
      );
      if (n > 0)
        deps.log.debug(
          { event_id: event.id, partner_id: event.partner_id, deliveries: n },
          "webhooks queued",
        );
    },
  };
}
