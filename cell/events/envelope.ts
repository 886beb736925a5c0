// The one documented shape of every event a cell emits, on JetStream and in webhooks:
//   { id, type, partner_id, cell_id, created, data }
// `data` is the API object (payment or refund) as it was right after the change.
export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  partner_id: string;
  cell_id: string;
  /** Unix seconds. */
  created: number;
  data: T;
}

export const eventTypes = [
  "payment.authorized",
  "payment.captured",
  "payment.failed",
  "payment.canceled",
  "refund.succeeded",
  "card_token.deleted",
] as const;
export type EventType = (typeof eventTypes)[number];
