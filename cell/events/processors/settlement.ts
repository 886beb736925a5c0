// The settlement processor: each capture and refund joins its partner's batch for the currency
// and the UTC day of the event. A batch's net is what is payable to the partner for that day:
// gross captured − fees − refunded (the fee is the ledger's, same rate and rounding).
import { newId } from "../../../shared/ids.ts";
import { addSettlementItem, type SettlementItemInput } from "../../db/queries/settlements.ts";
import type { EventEnvelope } from "../envelope.ts";
import type { EventHandler, ProcessorDeps } from "./event-handler.ts";
import { CapturedDataSchema, feeFor, partnerFeeBps, RefundDataSchema } from "./ledger.ts";

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
  };
}

async function itemFor(deps: ProcessorDeps, event: EventEnvelope): Promise<SettlementItemInput | undefined> {
  const common = {
    eventId: event.id,
    newSettlementId: newId("stl", deps.clock().getTime()),
    partnerId: event.partner_id,
    day: settlementDay(event.created),
  };
  if (event.type === "payment.captured") {
    const p = CapturedDataSchema.parse(event.data);
    const fee = feeFor(p.amount_captured, await partnerFeeBps(deps.sql, event.partner_id));
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
