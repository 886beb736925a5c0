// Refund writes. A refund first reserves its amount on the payment (so concurrent refunds can
// never exceed what was captured), then asks the acquirer, then settles: each step one statement.
import type { ModeScope } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";
import type { KeyFinish, OutboxEvent, RefundRow } from "./payment-row.ts";

/** Phase 1: reserve the amount and create the pending refund; undefined if the payment can't take it. */
export async function reserveRefund(
  sql: Sql,
  r: { id: string; scope: ModeScope; paymentId: string; amount: number; reason: string | null },
  idemKey: string | null,
): Promise<(RefundRow & { payment_version: number }) | undefined> {
  const rows = await sql<(RefundRow & { payment_version: number })[]>`
    with p as (
      update payments set amount_refunded = amount_refunded + ${r.amount}, version = version + 1,
        status = case when amount_refunded + ${r.amount} = amount_captured then 'refunded' else 'partially_refunded' end,
        updated_at = now()
      where id = ${r.paymentId} and partner_id = ${r.scope.partnerId} and livemode = ${r.scope.livemode}
        and status in ('succeeded', 'partially_refunded') and amount_refunded + ${r.amount} <= amount_captured
      returning currency, version
    ), r as (
      insert into refunds (id, partner_id, livemode, payment_id, status, amount, currency, reason)
      select ${r.id}, ${r.scope.partnerId}, ${r.scope.livemode}, ${r.paymentId}, 'pending', ${r.amount}, p.currency,
        ${r.reason} from p
      returning *
    ), k as (
      update idempotency_keys set recovery_point = 'resource_created', resource_id = ${r.id}
      where partner_id = ${r.scope.partnerId} and livemode = ${r.scope.livemode} and key = ${idemKey}
        and exists (select 1 from p)
    )
    select r.*, (select version from p) as payment_version from r`;
  return rows[0];
}

/** Phase 2: the acquirer refunded; the refund succeeds with its event and the key's response. */
export async function settleRefund(
  sql: Sql,
  r: { id: string; scope: ModeScope },
  event: OutboxEvent,
  finish: KeyFinish | null,
): Promise<boolean> {
  const rows = await sql<{ n: number }[]>`
    with r as (
      update refunds set status = 'succeeded'
      where id = ${r.id} and partner_id = ${r.scope.partnerId} and livemode = ${r.scope.livemode} and status = 'pending'
      returning id
    ), e as (
      insert into events (id, partner_id, livemode, type, data, trace_parent)
      select ${event.id}, ${r.scope.partnerId}, ${r.scope.livemode}, ${event.type}, ${sql.json(event.data as never)},
        ${event.traceparent ?? null} from r
    ), k as (
      update idempotency_keys set recovery_point = 'finished', locked_at = null,
        response_status = ${finish?.status ?? null}, response_body = ${finish ? sql.json(finish.body as never) : null}
      where partner_id = ${r.scope.partnerId} and livemode = ${r.scope.livemode} and key = ${finish?.key ?? null}
        and exists (select 1 from r)
    )
    select count(*)::int as n from r`;
  return rows[0]!.n === 1;
}

/** The acquirer refused: the refund fails and its amount goes back to the payment. Returns its version. */
export async function failRefund(sql: Sql, r: { id: string; scope: ModeScope }): Promise<number | undefined> {
  const rows = await sql<{ version: number }[]>`
    with r as (
      update refunds set status = 'failed'
      where id = ${r.id} and partner_id = ${r.scope.partnerId} and livemode = ${r.scope.livemode} and status = 'pending'
      returning payment_id, amount
    )
    update payments p set amount_refunded = p.amount_refunded - r.amount, version = p.version + 1,
      status = case when p.amount_refunded - r.amount = 0 then 'succeeded' else 'partially_refunded' end,
      updated_at = now()
    from r where p.id = r.payment_id and p.partner_id = ${r.scope.partnerId} and p.livemode = ${r.scope.livemode}
    returning p.version`;
  return rows[0]?.version;
}

export async function findRefund(sql: Sql, scope: ModeScope, id: string): Promise<RefundRow | undefined> {
  const rows = await sql<RefundRow[]>`
    select * from refunds where id = ${id} and partner_id = ${scope.partnerId} and livemode = ${scope.livemode}`;
  return rows[0];
}

export async function listRefunds(
  sql: Sql,
  scope: ModeScope,
  f: { limit: number; startingAfter?: string | undefined; paymentId?: string | undefined },
): Promise<RefundRow[]> {
  return sql<RefundRow[]>`
    select * from refunds
    where partner_id = ${scope.partnerId} and livemode = ${scope.livemode}
      ${f.startingAfter ? sql`and id < ${f.startingAfter}` : sql``}
      ${f.paymentId ? sql`and payment_id = ${f.paymentId}` : sql``}
    order by id desc
    limit ${f.limit + 1}`;
}

export async function staleRefunds(sql: Sql, olderThanMs: number, limit: number): Promise<RefundRow[]> {
  return sql<RefundRow[]>`
    select * from refunds where status = 'pending' and created_at < now() - make_interval(secs => ${olderThanMs / 1000})
    order by created_at limit ${limit}`;
}
