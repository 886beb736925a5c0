// Row types of payments and refunds (derived from the schema, db/rows.ts), and what the hot-path
// writes carry with them.
export type { PaymentRow, RefundRow } from "../rows.ts";

/** An event for the transactional outbox, written in the same statement as the change. */
export interface OutboxEvent {
  id: string;
  type: string;
  data: unknown;
  traceparent?: string | undefined;
}

/** The idempotency key to finish in the same statement, with the response it will replay. */
export interface KeyFinish {
  key: string;
  status: number;
  body: unknown;
}
