// The one documented shape of every event a cell emits, on JetStream, in webhooks and on the
// events API (gateway/schemas/event.ts renders this very schema):
//   { id, type, partner_id, livemode, cell_id, created, data }
// `data` is the API object (payment or refund) as it was right after the change.
import { z } from "@hono/zod-openapi";
import type { EventRow } from "../db/rows.ts";

export const eventTypes = [
  "payment.authorized",
  "payment.captured",
  "payment.failed",
  "payment.canceled",
  "refund.succeeded",
  "card_token.deleted",
] as const;
export type EventType = (typeof eventTypes)[number];

export const EventEnvelopeSchema = z.object({
  id: z.string().openapi({ example: "evt_0mh1x2y3z4abcdefghijklmn" }),
  type: z.string().openapi({ example: "payment.captured" }),
  partner_id: z.string(),
  livemode: z.boolean().openapi({ description: "true for a live-mode event, false for test mode" }),
  cell_id: z.string(),
  created: z.number().int().openapi({ description: "Unix seconds" }),
  data: z
    .record(z.string(), z.unknown())
    .openapi({ description: "The payment or refund as it was right after the change" }),
});

export type EventEnvelope<T = unknown> = Omit<z.infer<typeof EventEnvelopeSchema>, "data"> & { data: T };

/** An outbox row as the relay, the processors and the events API read it. */
export type OutboxRow = Pick<EventRow, "id" | "partner_id" | "livemode" | "type" | "data" | "created_at"> & {
  trace_parent?: string | null;
};

export function toEnvelope(cellId: string, row: OutboxRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type,
    partner_id: row.partner_id,
    livemode: row.livemode,
    cell_id: cellId,
    created: Math.floor(row.created_at.getTime() / 1000),
    data: row.data,
  };
}
