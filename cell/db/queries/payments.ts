// Payment reads, and the shapes of the two hot-path writes. The writes themselves are in
// payment-batches.ts: ONE statement (CTEs) for any number of payments, so the state change, its
// outbox event and the idempotency key move together or not at all, and concurrent payments
// share a commit.
import { timeIdBound } from "../../../shared/ids.ts";
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

/**
 * How far a payment's created_at may be from the time its id starts with: the id is made by the
 * gateway when the request arrives, created_at by Postgres when the row is written, moments later
 * (plus any clock difference between the two hosts, far below this; moves, copies and restores
 * keep both). Every row of the slack at the range's newest end is read and filtered out before
 * the first match: at 10 M payments an hour of slack cost 14,108 rows and 8-19 ms per page of a
 * `created[...]` list, five minutes 1,376 rows and 1.4 ms (bench/reports/*-scale).
 */
export const ID_TIME_SLACK_MS = 5 * 60 * 1000;

/**
 * Newest first by id (ids are time-sortable); one row more than asked tells whether there is more.
 * A created[...] filter also bounds the id, widened by ID_TIME_SLACK_MS, so the scan of the
 * (partner_id, id) or (partner_id, status, id) index starts and stops at the range instead of
 * walking every newer payment of the partner (at 10 M payments, seconds instead of milliseconds).
 * created_at itself is still compared exactly.
 *
 * Sent as an unnamed statement (`prepare: false`), so Postgres plans it with the values every
 * time. As a named one it switched to a generic plan after five executions, and a generic plan
 * cannot see how wide a range of parameters is: it estimated 1 row for a created[...] range and
 * chose a bitmap scan and sort of the partner's whole day, 270-750 ms per page at 10 M payments
 * where the custom plan takes 0.6 ms (bench/reports/*-scale). Planning costs ~0.2 ms a page.
 */
export async function listPayments(sql: Sql, scope: ModeScope, f: PaymentFilter): Promise<PaymentRow[]> {
  const from = [f.createdGte, f.createdGt].filter((d) => d !== undefined).map((d) => d.getTime());
  const to = [f.createdLte, f.createdLt].filter((d) => d !== undefined).map((d) => d.getTime());
  const params: (string | boolean | number | Date)[] = [scope.partnerId, scope.livemode];
  const where = ["partner_id = $1", "livemode = $2"];
  const and = (condition: string, value: string | Date | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${condition} $${params.length}`);
  };
  and("id <", f.startingAfter || undefined);
  and("status =", f.status || undefined);
  and("id >=", from.length > 0 ? timeIdBound("pay", Math.max(...from) - ID_TIME_SLACK_MS) : undefined);
  and("id <", to.length > 0 ? timeIdBound("pay", Math.min(...to) + ID_TIME_SLACK_MS + 1) : undefined);
  and("created_at >=", f.createdGte);
  and("created_at >", f.createdGt);
  and("created_at <=", f.createdLte);
  and("created_at <", f.createdLt);
  params.push(f.limit + 1);
  return sql.unsafe<PaymentRow[]>(
    `select * from payments where ${where.join(" and ")} order by id desc limit $${params.length}`,
    params,
    { prepare: false },
  );
}

/** Payments left `processing` (acquirer timeout, or a gateway that died mid-request). */
export async function stalePayments(sql: Sql, olderThanMs: number, limit: number): Promise<PaymentRow[]> {
  return sql<PaymentRow[]>`
    select * from payments
    where status = 'processing' and updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
    order by updated_at limit ${limit}`;
}
