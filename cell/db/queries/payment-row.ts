// A payments row as raw queries return it (snake_case, amounts as numbers).
export interface PaymentRow {
  id: string;
  partner_id: string;
  status: string;
  amount: number;
  currency: string;
  capture_method: "automatic" | "manual";
  amount_capturable: number;
  amount_captured: number;
  amount_refunded: number;
  card_brand: string;
  card_bin: string;
  card_last4: string;
  card_exp_month: number;
  card_exp_year: number;
  card_fingerprint: string;
  card_token_id: string | null;
  failure_code: string | null;
  failure_message: string | null;
  authorization_code: string | null;
  description: string | null;
  reference: string | null;
  metadata: Record<string, string>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface RefundRow {
  id: string;
  partner_id: string;
  payment_id: string;
  status: "pending" | "succeeded" | "failed";
  amount: number;
  currency: string;
  reason: string | null;
  created_at: Date;
}

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
