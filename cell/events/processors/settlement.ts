// The settlement processor: each capture and refund joins its partner's batch for the currency
// and the UTC day of the event. A batch's net is what is payable to the partner for that day:
// gross captured − fees − refunded (the fee is the ledger's, same rate and rounding).
import { newId } from "../../../shared/ids.ts";
import {
  addSettlementItem,
  addSettlementItems,
  type SettlementItemInput,
} from "../../db/queries/settlements.ts";
import type { EventEnvelope } from "../envelope.ts";
import { distinctById, type EventHandler, type ProcessorDeps } from "./event-handler.ts";
import { CapturedDataSchema, feeFor, feeRates, partnerFeeBps, RefundDataSchema } from "./ledger.ts";

export const SETTLEMENT_CONSUMER = "settlement";

/** The UTC day (YYYY-MM-DD) an event belongs to. */
export function settlementDay(createdUnixSeconds: number): string {
  return new Date(createdUnixSeconds * 1000).toISOString().slice(0, 10);
}

export function createSettlementHandler(deps: ProcessorDeps): EventHandler {
  return {
    name: SETTLEMENT_CONSUMER,
    types: ["payment.captured", "refund.succeeded"],
    async handle(event) {
      const item = await itemFor(deps, event);
      if (!item) return;
      const wrote = await addSettlementItem(deps.sql, SETTLEMENT_CONSUMER, item);
      if (!wrote) deps.log.debug({ event_id: event.id }, "settlement: event already applied");
    },
    async handleBatch(events) {
      const unique = distinctById(events);
      const fees = await feeRates(
        deps.sql,
        unique.filter((e) => e.type === "payment.captured"),
      );
      const items = unique.flatMap((e) => itemOf(deps, e, fees.get(e.partner_id) ?? 0) ?? []);
      const wrote = await addSettlementItems(deps.sql, SETTLEMENT_CONSUMER, items);
      if (wrote < items.length)
        deps.log.debug({ events: items.length, applied: wrote }, "settlement: some events already applied");
    },
  };
}

async function itemFor(deps: ProcessorDeps, event: EventEnvelope): Promise<SettlementItemInput | undefined> {
  const feeBps = event.type === "payment.captured" ? await partnerFeeBps(deps.sql, event.partner_id) : 0;
  return itemOf(deps, event, feeBps);
}

/** The item an event adds to its day's settlement (`feeBps` is the partner's rate, for captures). */
function itemOf(deps: ProcessorDeps, event: EventEnvelope, feeBps: number): SettlementItemInput | undefined {
  const common = {
    eventId: event.id,
    newSettlementId: newId("stl", deps.clock().getTime()),
    partnerId: event.partner_id,
    livemode: event.livemode,
    day: settlementDay(event.created),
  };
  if (event.type === "payment.captured") {
    const p = CapturedDataSchema.parse(event.data);
    const fee = feeFor(p.amount_captured, feeBps);
    return {
      ...common,
      currency: p.currency,
      kind: "payment",
      objectId: p.id,
      amount: p.amount_captured,
      fee,
    };
  }
  if (event.type === "refund.succeeded") {
    const r = RefundDataSchema.parse(event.data);
    return { ...common, currency: r.currency, kind: "refund", objectId: r.id, amount: r.amount, fee: 0 };
  }
  return undefined;
}
