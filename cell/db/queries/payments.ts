// Payment writes on the hot path. Each is ONE statement (CTEs) and so one round trip and one
// commit: the state change, its outbox event and the idempotency key move together or not at all.
import type { Sql } from "../client.ts";
import type { KeyFinish, OutboxEvent, PaymentRow } from "./payment-row.ts";

export type NewPayment = Omit<
  PaymentRow,
  "created_at" | "updated_at" | "authorization_code" | "failure_code" | "failure_message" | "version"
>;

/**
 * Phase 1: the payment exists (status processing) before the acquirer is asked, and the key points
 * at it. With `claimWithHash` the same statement also claims the key; when the key already exists
 * nothing is written and `claimed` is false.
 */
export async function insertProcessingPayment(
  sql: Sql,
  p: NewPayment,
  idem: { key: string; claimWithHash?: string | undefined } | null,
): Promise<{ claimed: boolean; createdAt: Date | undefined }> {
  const claim = idem?.claimWithHash !== undefined;
  const rows = await sql<{ claimed: boolean; created_at: Date | null }[]>`
    with k as (
      insert into idempotency_keys (partner_id, key, request_hash, recovery_point, resource_id, locked_at)
      select ${p.partner_id}, ${idem?.key ?? null}, ${idem?.claimWithHash ?? null}, 'resource_created', ${p.id}, now()
      where ${claim}
      on conflict do nothing
      returning 1
    ), p as (
      insert into payments (id, partner_id, status, amount, currency, capture_method, amount_capturable,
        amount_captured, amount_refunded, card_brand, card_bin, card_last4, card_exp_month, card_exp_year,
        card_fingerprint, card_token_id, description, reference, metadata)
      select ${p.id}, ${p.partner_id}, ${p.status}, ${p.amount}, ${p.currency}, ${p.capture_method},
        ${p.amount_capturable}, ${p.amount_captured}, ${p.amount_refunded}, ${p.card_brand}, ${p.card_bin},
        ${p.card_last4}, ${p.card_exp_month}, ${p.card_exp_year}, ${p.card_fingerprint}, ${p.card_token_id},
        ${p.description}, ${p.reference}, ${sql.json(p.metadata)}
      where not ${claim} or exists (select 1 from k)
      returning created_at
    ), linked as (
      update idempotency_keys set recovery_point = 'resource_created', resource_id = ${p.id}
      where not ${claim} and partner_id = ${p.partner_id} and key = ${idem?.key ?? null}
    )
    select exists (select 1 from p) as claimed, (select created_at from p) as created_at`;
  const row = rows[0]!;
  return { claimed: row.claimed, createdAt: row.created_at ?? undefined };
}

export interface PaymentChange {
  status: string;
  amount_capturable: number;
  amount_captured: number;
  amount_refunded: number;
  failure_code?: string | null;
  failure_message?: string | null;
  authorization_code?: string | null;
}

/**
 * Moves a payment from one of `from` to its new state, writes the event and finishes the key.
 * Returns the payment's new version, or undefined when it was no longer in `from` (a concurrent
 * change won): then nothing was written.
 */
export async function changePayment(
  sql: Sql,
  target: { id: string; partnerId: string; from: string[] },
  change: PaymentChange,
  event: OutboxEvent,
  finish: KeyFinish | null,
): Promise<number | undefined> {
  const rows = await sql<{ version: number }[]>`
    with p as (
      update payments set status = ${change.status}, version = version + 1, amount_capturable = ${change.amount_capturable},
        amount_captured = ${change.amount_captured}, amount_refunded = ${change.amount_refunded},
        failure_code = coalesce(${change.failure_code ?? null}, failure_code),
        failure_message = coalesce(${change.failure_message ?? null}, failure_message),
        authorization_code = coalesce(${change.authorization_code ?? null}, authorization_code),
        updated_at = now()
      where id = ${target.id} and partner_id = ${target.partnerId} and status = any(${target.from})
      returning id, version
    ), e as (
      insert into events (id, partner_id, type, data, trace_parent)
      select ${event.id}, ${target.partnerId}, ${event.type}, ${sql.json(event.data as never)}, ${event.traceparent ?? null} from p
    ), k as (
      update idempotency_keys set recovery_point = 'finished', locked_at = null,
        response_status = ${finish?.status ?? null}, response_body = ${finish ? sql.json(finish.body as never) : null}
      where partner_id = ${target.partnerId} and key = ${finish?.key ?? null} and exists (select 1 from p)
    )
    select version from p`;
  return rows[0]?.version;
}

export async function findPayment(sql: Sql, partnerId: string, id: string): Promise<PaymentRow | undefined> {
  const rows = await sql<PaymentRow[]>`select * from payments where id = ${id} and partner_id = ${partnerId}`;
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
export async function listPayments(sql: Sql, partnerId: string, f: PaymentFilter): Promise<PaymentRow[]> {
  return sql<PaymentRow[]>`
    select * from payments
    where partner_id = ${partnerId}
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
