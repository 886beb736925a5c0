// Settlement writes and reads. Adding a payment or refund (or a whole batch of events' items) to
// its day's settlement is ONE statement: the processed_events row, the settlement upsert (totals
// moved by the item) and the item itself, so a redelivered event changes nothing and concurrent
// processors add to the same row safely.
import type { ModeScope } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";
import type { SettlementItemRow, SettlementRow } from "../rows.ts";

export type { SettlementItemRow, SettlementRow } from "../rows.ts";

/** An item as the settlement API shows it (its batch's partner and mode are the batch's). */
export type SettlementItemView = Omit<SettlementItemRow, "partner_id">;

export interface SettlementItemInput {
  eventId: string;
  /** Used only when this item opens the day's batch. */
  newSettlementId: string;
  partnerId: string;
  /** The event's mode: test and live items go to separate batches. */
  livemode: boolean;
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
      insert into settlements (id, partner_id, livemode, currency, day, gross_amount, refunded_amount, fee_amount,
        net_amount, payment_count, refund_count)
      select ${i.newSettlementId}, ${i.partnerId}, ${i.livemode}, ${i.currency}, ${i.day}, ${gross}, ${refunded}, ${i.fee},
        ${gross - refunded - i.fee}, ${isPayment ? 1 : 0}, ${isPayment ? 0 : 1}
      from pe
      on conflict (partner_id, livemode, currency, day) do update set
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

/**
 * Many items in one statement (the batch version of addSettlementItem). Only items whose
 * processed_events row is new count; they are summed per (partner, currency, day) first, because
 * one upsert may not touch the same settlement row twice, and the sums are applied in key order
 * so concurrent batches lock settlement rows in the same order. Returns how many items were added.
 * Callers pass distinct event ids in one stable order.
 */
export async function addSettlementItems(
  sql: Sql,
  consumer: string,
  items: readonly SettlementItemInput[],
): Promise<number> {
  if (items.length === 0) return 0;
  const col = <T>(f: (i: SettlementItemInput) => T) => items.map(f);
  const rows = await sql<{ n: number }[]>`
    with it as (
      select * from unnest(
        ${col((i) => i.eventId)}::text[],
        ${col((i) => i.newSettlementId)}::text[],
        ${col((i) => i.partnerId)}::text[],
        -- as text: postgres.js sends no boolean[] parameter
        ${col((i) => String(i.livemode))}::text[]::boolean[],
        ${col((i) => i.currency)}::text[],
        ${col((i) => i.day)}::text[],
        ${col((i) => i.kind)}::text[],
        ${col((i) => i.objectId)}::text[],
        ${col((i) => String(i.amount))}::bigint[],
        ${col((i) => String(i.fee))}::bigint[]
      ) with ordinality as t(event_id, new_id, partner_id, livemode, currency, day, kind, object_id, amount, fee, ord)
    ), pe as (
      insert into processed_events (consumer, event_id)
      select ${consumer}, event_id from it order by ord
      on conflict do nothing
      returning event_id
    ), fresh as (
      select it.* from it join pe on pe.event_id = it.event_id
    ), totals as (
      select partner_id, livemode, currency, day, min(new_id) as new_id,
        coalesce(sum(amount) filter (where kind = 'payment'), 0) as gross,
        coalesce(sum(amount) filter (where kind = 'refund'), 0) as refunded,
        sum(fee) as fee,
        count(*) filter (where kind = 'payment') as payments,
        count(*) filter (where kind = 'refund') as refunds
      from fresh group by partner_id, livemode, currency, day
    ), s as (
      insert into settlements (id, partner_id, livemode, currency, day, gross_amount, refunded_amount, fee_amount,
        net_amount, payment_count, refund_count)
      select new_id, partner_id, livemode, currency, day, gross, refunded, fee, gross - refunded - fee, payments,
        refunds
      from totals order by partner_id, livemode, currency, day
      on conflict (partner_id, livemode, currency, day) do update set
        gross_amount = settlements.gross_amount + excluded.gross_amount,
        refunded_amount = settlements.refunded_amount + excluded.refunded_amount,
        fee_amount = settlements.fee_amount + excluded.fee_amount,
        net_amount = settlements.net_amount + excluded.net_amount,
        payment_count = settlements.payment_count + excluded.payment_count,
        refund_count = settlements.refund_count + excluded.refund_count
      returning id, partner_id, livemode, currency, day
    ), items as (
      insert into settlement_items (settlement_id, partner_id, kind, object_id, amount, fee)
      select s.id, f.partner_id, f.kind, f.object_id, f.amount, f.fee
      from fresh f join s on s.partner_id = f.partner_id and s.livemode = f.livemode and s.currency = f.currency
        and s.day = f.day
    )
    select count(*)::int as n from pe`;
  return rows[0]!.n;
}

/** Newest first by id (ids are time-sortable); one row more than asked tells whether there is more. */
export async function listSettlements(
  sql: Sql,
  scope: ModeScope,
  f: { limit: number; startingAfter?: string | undefined },
): Promise<SettlementRow[]> {
  return sql<SettlementRow[]>`
    select * from settlements
    where partner_id = ${scope.partnerId} and livemode = ${scope.livemode}
      ${f.startingAfter ? sql`and id < ${f.startingAfter}` : sql``}
    order by id desc
    limit ${f.limit + 1}`;
}

export async function findSettlement(
  sql: Sql,
  scope: ModeScope,
  id: string,
): Promise<{ settlement: SettlementRow; items: SettlementItemView[] } | undefined> {
  const [settlement] = await sql<SettlementRow[]>`
    select * from settlements
    where id = ${id} and partner_id = ${scope.partnerId} and livemode = ${scope.livemode}`;
  if (!settlement) return undefined;
  const items = await sql<SettlementItemView[]>`
    select settlement_id, kind, object_id, amount, fee, created_at from settlement_items
    where settlement_id = ${id} and partner_id = ${scope.partnerId}
    order by created_at, object_id`;
  return { settlement, items };
}
