// Settlement writes and reads. Adding a payment or refund to its day's batch is ONE statement:
// the processed_events row, the batch upsert (totals moved by the item) and the item itself,
// so a redelivered event changes nothing and concurrent processors add to the same row safely.
import type { Sql } from "../client.ts";

export interface SettlementRow {
  id: string;
  partner_id: string;
  currency: string;
  day: string;
  status: "open" | "closed";
  gross_amount: number;
  refunded_amount: number;
  fee_amount: number;
  net_amount: number;
  payment_count: number;
  refund_count: number;
  created_at: Date;
}

export interface SettlementItemRow {
  settlement_id: string;
  kind: "payment" | "refund";
  object_id: string;
  amount: number;
  fee: number;
  created_at: Date;
}

export interface SettlementItemInput {
  eventId: string;
  /** Used only when this item opens the day's batch. */
  newSettlementId: string;
  partnerId: string;
  currency: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  kind: "payment" | "refund";
  objectId: string;
  amount: number;
  fee: number;
}

/** Adds the item to its batch unless `consumer` already processed the event; true if it wrote. */
export async function addSettlementItem(
  sql: Sql,
  consumer: string,
  i: SettlementItemInput,
): Promise<boolean> {
  const isPayment = i.kind === "payment";
  const gross = isPayment ? i.amount : 0;
  const refunded = isPayment ? 0 : i.amount;
  const rows = await sql<{ n: number }[]>`
    with pe as (
      insert into processed_events (consumer, event_id) values (${consumer}, ${i.eventId})
      on conflict do nothing
      returning event_id
    ), s as (
      insert into settlements (id, partner_id, currency, day, gross_amount, refunded_amount, fee_amount,
        net_amount, payment_count, refund_count)
      select ${i.newSettlementId}, ${i.partnerId}, ${i.currency}, ${i.day}, ${gross}, ${refunded}, ${i.fee},
        ${gross - refunded - i.fee}, ${isPayment ? 1 : 0}, ${isPayment ? 0 : 1}
      from pe
      on conflict (partner_id, currency, day) do update set
        gross_amount = settlements.gross_amount + excluded.gross_amount,
        refunded_amount = settlements.refunded_amount + excluded.refunded_amount,
        fee_amount = settlements.fee_amount + excluded.fee_amount,
        net_amount = settlements.net_amount + excluded.net_amount,
        payment_count = settlements.payment_count + excluded.payment_count,
        refund_count = settlements.refund_count + excluded.refund_count
      returning id
    ), it as (
      insert into settlement_items (settlement_id, partner_id, kind, object_id, amount, fee)
      select s.id, ${i.partnerId}, ${i.kind}, ${i.objectId}, ${i.amount}, ${i.fee} from s
    )
    select count(*)::int as n from pe`;
  return rows[0]!.n === 1;
}

/** Newest first by id (ids are time-sortable); one row more than asked tells whether there is more. */
export async function listSettlements(
  sql: Sql,
  partnerId: string,
  f: { limit: number; startingAfter?: string | undefined },
): Promise<SettlementRow[]> {
  return sql<SettlementRow[]>`
    select * from settlements
    where partner_id = ${partnerId}
      ${f.startingAfter ? sql`and id < ${f.startingAfter}` : sql``}
    order by id desc
    limit ${f.limit + 1}`;
}

export async function findSettlement(
  sql: Sql,
  partnerId: string,
  id: string,
): Promise<{ settlement: SettlementRow; items: SettlementItemRow[] } | undefined> {
  const [settlement] = await sql<SettlementRow[]>`
    select * from settlements where id = ${id} and partner_id = ${partnerId}`;
  if (!settlement) return undefined;
  const items = await sql<SettlementItemRow[]>`
    select settlement_id, kind, object_id, amount, fee, created_at from settlement_items
    where settlement_id = ${id} and partner_id = ${partnerId}
    order by created_at, object_id`;
  return { settlement, items };
}
