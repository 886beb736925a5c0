// The two hot-path payment writes (payments.ts), each for many payments in ONE statement: what
// the gateway's group commit (statement-batcher.ts) runs. Items travel as one jsonb array, so the
// statement is prepared once whatever the batch size. Each item keeps its own all-or-nothing
// outcome inside the statement (its key claim, its guard on the status), and the statement commits
// all of them at once.
import type { ModeScope } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";
import type { KeyFinish, OutboxEvent } from "./payment-row.ts";
import type { NewPayment, PaymentChange } from "./payments.ts";

export interface InsertProcessingItem {
  payment: NewPayment;
  idem: { key: string; claimWithHash?: string | undefined } | null;
}

/** Per item: whether the payment was written (false: its key was already claimed). */
export async function insertProcessingPayments(
  sql: Sql,
  items: InsertProcessingItem[],
): Promise<{ claimed: boolean; createdAt: Date | undefined }[]> {
  const input = items.map(({ payment: p, idem }) => ({
    ...p,
    idem_key: idem?.key ?? null,
    claim_hash: idem?.claimWithHash ?? null,
  }));
  const rows = await sql<{ id: string; created_at: Date }[]>`
    with input as (
      select * from jsonb_to_recordset(${sql.json(input as never)}::jsonb) as x(
        id text, partner_id text, status text, amount bigint, currency text, capture_method text,
        amount_capturable bigint, amount_captured bigint, amount_refunded bigint, card_brand text,
        card_bin text, card_last4 text, card_exp_month smallint, card_exp_year smallint,
        card_fingerprint text, card_token_id text, description text, reference text, metadata jsonb,
        livemode boolean, idem_key text, claim_hash text)
    ), k as (
      insert into idempotency_keys (partner_id, livemode, key, request_hash, recovery_point, resource_id, locked_at)
      select partner_id, livemode, idem_key, claim_hash, 'resource_created', id, now() from input
      where claim_hash is not null
      on conflict do nothing
      returning resource_id
    ), p as (
      insert into payments (id, partner_id, status, amount, currency, capture_method, amount_capturable,
        amount_captured, amount_refunded, card_brand, card_bin, card_last4, card_exp_month, card_exp_year,
        card_fingerprint, card_token_id, description, reference, metadata, livemode)
      select id, partner_id, status, amount, currency, capture_method, amount_capturable, amount_captured,
        amount_refunded, card_brand, card_bin, card_last4, card_exp_month, card_exp_year, card_fingerprint,
        card_token_id, description, reference, coalesce(metadata, '{}'::jsonb), livemode
      from input
      where claim_hash is null or id in (select resource_id from k)
      returning id, created_at
    ), linked as (
      update idempotency_keys ik set recovery_point = 'resource_created', resource_id = input.id
      from input
      where input.claim_hash is null and input.idem_key is not null
        and ik.partner_id = input.partner_id and ik.livemode = input.livemode and ik.key = input.idem_key
    )
    select id, created_at from p`;
  const createdAt = new Map(rows.map((r) => [r.id, r.created_at]));
  return items.map(({ payment }) => {
    const at = createdAt.get(payment.id);
    return { claimed: at !== undefined, createdAt: at };
  });
}

export interface ChangePaymentItem {
  target: { id: string; scope: ModeScope; from: string[] };
  change: PaymentChange;
  event: OutboxEvent;
  finish: KeyFinish | null;
}

/**
 * Per item: the payment's new version, or undefined when it was no longer in `from` (then nothing
 * of that item was written). Two items of one payment must not share a batch (the batcher's
 * conflict key sees to it).
 */
export async function changePayments(sql: Sql, items: ChangePaymentItem[]): Promise<(number | undefined)[]> {
  const input = items.map(({ target, change, event, finish }) => ({
    id: target.id,
    partner_id: target.scope.partnerId,
    livemode: target.scope.livemode,
    from_status: target.from,
    status: change.status,
    amount_capturable: change.amount_capturable,
    amount_captured: change.amount_captured,
    amount_refunded: change.amount_refunded,
    failure_code: change.failure_code ?? null,
    failure_message: change.failure_message ?? null,
    authorization_code: change.authorization_code ?? null,
    event_id: event.id,
    event_type: event.type,
    event_data: event.data,
    trace_parent: event.traceparent ?? null,
    idem_key: finish?.key ?? null,
    response_status: finish?.status ?? null,
    response_body: finish?.body ?? null,
  }));
  const ids = items.map((it) => it.target.id);
  const rows = await sql<{ id: string; version: number }[]>`
    with input as (
      select * from jsonb_to_recordset(${sql.json(input as never)}::jsonb) as x(
        id text, partner_id text, livemode boolean, from_status text[], status text, amount_capturable bigint,
        amount_captured bigint, amount_refunded bigint, failure_code text, failure_message text,
        authorization_code text, event_id text, event_type text, event_data jsonb, trace_parent text,
        idem_key text, response_status int, response_body jsonb)
    ), p as (
      update payments set status = i.status, version = payments.version + 1,
        amount_capturable = i.amount_capturable, amount_captured = i.amount_captured,
        amount_refunded = i.amount_refunded,
        failure_code = coalesce(i.failure_code, payments.failure_code),
        failure_message = coalesce(i.failure_message, payments.failure_message),
        authorization_code = coalesce(i.authorization_code, payments.authorization_code),
        updated_at = now()
      from input i
      where payments.id = i.id and payments.partner_id = i.partner_id and payments.livemode = i.livemode
        and payments.status = any(i.from_status)
        -- The ids again as an array: jsonb_to_recordset is estimated at 100 rows whatever the
        -- batch, so against a payments table that was small when the plan was cached the planner
        -- chose a hash join over a sequential scan of payments, for every batch (3,200 scans of
        -- 6,000 rows each in a 30 s bench, and growing with the table). This makes it an index scan.
        and payments.id = any(${ids}::text[])
      returning payments.id, payments.version
    ), e as (
      insert into events (id, partner_id, livemode, type, data, trace_parent)
      select i.event_id, i.partner_id, i.livemode, i.event_type, i.event_data, i.trace_parent
      from input i join p on p.id = i.id
    ), k as (
      update idempotency_keys ik set recovery_point = 'finished', locked_at = null,
        response_status = i.response_status, response_body = i.response_body
      from input i join p on p.id = i.id
      where i.idem_key is not null and ik.partner_id = i.partner_id and ik.livemode = i.livemode
        and ik.key = i.idem_key
    )
    select id, version from p`;
  const versions = new Map(rows.map((r) => [r.id, r.version]));
  return items.map((it) => versions.get(it.target.id));
}
