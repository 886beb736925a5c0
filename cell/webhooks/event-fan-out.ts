// The "webhooks" event handler: turns each event into one pending delivery per enabled endpoint
// of its partner and mode (test events to test endpoints, live to live) that wants the event's type. Idempotent by (endpoint, event), so a redelivered
// event adds nothing; the dispatcher does the sending, off the consumer's path.
import {
  enabledEndpointsOf,
  type FanOutEndpoint,
  insertDeliveries,
  insertDeliveriesForEvent,
  type NewDelivery,
} from "../db/queries/webhook-fan-out.ts";
import { distinctById, type EventHandler, type ProcessorDeps } from "../events/processors/event-handler.ts";
import { modeOf } from "../partners/mode-scope.ts";
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
        { id: event.id, partnerId: event.partner_id, livemode: event.livemode, type: event.type },
        ids,
        now,
      );
      if (n > 0)
        deps.log.debug(
          { event_id: event.id, partner_id: event.partner_id, deliveries: n },
          "webhooks queued",
        );
    },
    // One read of the batch's partners' endpoints; most partners have none, and then the batch
    // costs that read alone. Otherwise one insert for every delivery of the batch.
    async handleBatch(events) {
      const unique = distinctById(events);
      const endpoints = await enabledEndpointsOf(deps.sql, [...new Set(unique.map((e) => e.partner_id))]);
      if (endpoints.length === 0) return;
      const byPartner = new Map<string, FanOutEndpoint[]>();
      for (const e of endpoints) byPartner.set(e.partner_id, [...(byPartner.get(e.partner_id) ?? []), e]);
      const now = deps.clock();
      const deliveries: NewDelivery[] = [];
      for (const event of unique) {
        const mode = modeOf(event.livemode);
        const wanting = (byPartner.get(event.partner_id) ?? []).filter(
          (e) => e.mode === mode && wants(e, event.type),
        );
        for (const endpoint of wanting.slice(0, IDS_PER_EVENT)) {
          deliveries.push({
            id: newDeliveryId(now.getTime()),
            partnerId: event.partner_id,
            livemode: event.livemode,
            endpointId: endpoint.id,
            eventId: event.id,
          });
        }
      }
      const n = await insertDeliveries(deps.sql, deliveries, now);
      if (n > 0) deps.log.debug({ events: unique.length, deliveries: n }, "webhooks queued");
    },
  };
}

/** The single-event query's `enabled_events ? type or enabled_events ? '*'`. */
const wants = (endpoint: FanOutEndpoint, type: string) =>
  endpoint.enabled_events.includes(type) || endpoint.enabled_events.includes("*");
