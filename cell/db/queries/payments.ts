// Payment reads, and the shapes of the two hot-path writes. The writes themselves are in
// payment-batches.ts: ONE statement (CTEs) for any number of payments, so the state change, its
// outbox event and the idempotency key move together or not at all, and concurrent payments
// share a commit.

import type { ModeScope } from "../../partners/mode-scope.ts";
import type { PaymentStatus } from "../../payments/payment-state.ts";
import type { Sql } from "../client.ts";
import type { PaymentRow } from "./payment-row.ts";

export type NewPayment = Omit<
  PaymentRow,
  "created_at" | "updated_at" | "authorization_code" | "failure_code" | "failure_message" | "version"
>;

export interface PaymentChange {
  status: PaymentStatus;
  amount_capturable: number;
  amount_captured: number;
  amount_refunded: number;
  failure_code?: string | null;
  failure_message?: string | null;
  authorization_code?: string | null;
}

export async function findPayment(sql: Sql, scope: ModeScope, id: string): Promise<PaymentRow | undefined> {
  const rows = await sql<PaymentRow[]>`
    select * from payments where id = ${id} and partner_id = ${scope.partnerId} and livemode = ${scope.livemode}`;
  return rows[0];
}

export interface PaymentFilter {
  limit: number;
  startingAfter?: string | undefined;
  status?: string | undefined;
  createdGte?: Date | undefined;
  createdGt?: Date | undefined;
  createdLte?: Date | undefined;
  createdLt?: Date | undefined;
}

/** Newest first by id (ids are time-sortable); one row more than asked tells whether there is more. */
export async function listPayments(sql: Sql, scope: ModeScope, f: PaymentFilter): Promise<PaymentRow[]> {
  return sql<PaymentRow[]>`
    select * from payments
    where partner_id = ${scope.partnerId} and livemode = ${scope.livemode}
      ${f.startingAfter ? sql`and id < ${f.startingAfter}` : sql``}
      ${f.status ? sql`and status = ${f.status}` : sql``}
      ${f.createdGte ? sql`and created_at >= ${f.createdGte}` : sql``}
      ${f.createdGt ? sql`and created_at > ${f.createdGt}` : sql``}
      ${f.createdLte ? sql`and created_at <= ${f.createdLte}` : sql``}
      ${f.createdLt ? sql`and created_at < ${f.createdLt}` : sql``}
    order by id desc
    limit ${f.limit + 1}`;
}

/** Payments left `processing` (acquirer timeout, or a gateway that died mid-request). */
export async function stalePayments(sql: Sql, olderThanMs: number, limit: number): Promise<PaymentRow[]> {
  return sql<PaymentRow[]>`
    select * from payments
    where status = 'processing' and updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
    order by updated_at limit ${limit}`;
}
