// Ledger writes and balances. A ledger transaction (or a batch of them) and the consumer's
// processed_events rows are written by ONE statement: a redelivered event finds its
// processed_events row and writes nothing.
import type { ModeScope } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";

export type LedgerAccount = "acquirer_clearing" | "partner_payable" | "platform_fees";

/** One line of a transaction: debits positive, credits negative. */
export interface LedgerLine {
  account: LedgerAccount;
  currency: string;
  amount: number;
  objectId: string;
}

export interface LedgerTransaction {
  /** The event id: one transaction per event. */
  id: string;
  partnerId: string;
  /** The event's mode: test and live money never share a balance. */
  livemode: boolean;
  lines: LedgerLine[];
}

/** The partner's `settings.fee_bps` as stored (validated by the caller), or undefined. */
export async function partnerFeeSetting(sql: Sql, partnerId: string): Promise<unknown> {
  const rows = await sql<{ fee_bps: unknown }[]>`
    select settings->'fee_bps' as fee_bps from partners where id = ${partnerId}`;
  return rows[0]?.fee_bps ?? undefined;
}

/** Writes the transaction unless `consumer` already processed the event; true if it wrote. */
export async function recordLedgerTransaction(
  sql: Sql,
  consumer: string,
  tx: LedgerTransaction,
): Promise<boolean> {
  const rows = await sql<{ n: number }[]>`
    with pe as (
      insert into processed_events (consumer, event_id) values (${consumer}, ${tx.id})
      on conflict do nothing
      returning event_id
    ), l as (
      insert into ledger_entries (transaction_id, line, partner_id, livemode, account, currency, amount, object_id)
      select pe.event_id, t.line, ${tx.partnerId}, ${tx.livemode}, t.account, t.currency, t.amount, t.object_id
      from pe, unnest(
        ${tx.lines.map((_, i) => i + 1)}::int[],
        ${tx.lines.map((l) => l.account)}::text[],
        ${tx.lines.map((l) => l.currency)}::text[],
        ${tx.lines.map((l) => String(l.amount))}::bigint[],
        ${tx.lines.map((l) => l.objectId)}::text[]
      ) as t(line, account, currency, amount, object_id)
    )
    select count(*)::int as n from pe`;
  return rows[0]!.n === 1;
}

/**
 * Many transactions in one statement (the batch version of recordLedgerTransaction): the
 * processed_events rows of all of them, then the lines of only those whose row was new, so a
 * redelivered event in the batch writes nothing. Returns how many transactions were written.
 * Callers pass distinct ids in one stable order (concurrent batches then lock in the same order).
 */
export async function recordLedgerTransactions(
  sql: Sql,
  consumer: string,
  txs: readonly LedgerTransaction[],
): Promise<number> {
  if (txs.length === 0) return 0;
  const lines = txs.flatMap((tx) => tx.lines.map((l, i) => ({ tx, l, line: i + 1 })));
  const rows = await sql<{ n: number }[]>`
    with pe as (
      insert into processed_events (consumer, event_id)
      select ${consumer}, id from unnest(${txs.map((tx) => tx.id)}::text[]) with ordinality as t(id, ord)
      order by ord
      on conflict do nothing
      returning event_id
    ), l as (
      insert into ledger_entries (transaction_id, line, partner_id, livemode, account, currency, amount, object_id)
      select t.transaction_id, t.line, t.partner_id, t.livemode, t.account, t.currency, t.amount, t.object_id
      from unnest(
        ${lines.map((x) => x.tx.id)}::text[],
        ${lines.map((x) => x.line)}::int[],
        ${lines.map((x) => x.tx.partnerId)}::text[],
        -- as text: postgres.js sends no boolean[] parameter
        ${lines.map((x) => String(x.tx.livemode))}::text[]::boolean[],
        ${lines.map((x) => x.l.account)}::text[],
        ${lines.map((x) => x.l.currency)}::text[],
        ${lines.map((x) => String(x.l.amount))}::bigint[],
        ${lines.map((x) => x.l.objectId)}::text[]
      ) as t(transaction_id, line, partner_id, livemode, account, currency, amount, object_id)
      join pe on pe.event_id = t.transaction_id
    )
    select count(*)::int as n from pe`;
  return rows[0]!.n;
}

/** What the cell owes the partner in this mode, per currency: minus the partner_payable balance (a credit). */
export async function partnerPayableBalances(
  sql: Sql,
  scope: ModeScope,
): Promise<{ currency: string; amount: number }[]> {
  return sql<{ currency: string; amount: number }[]>`
    select currency, (-sum(amount))::bigint as amount from ledger_entries
    where partner_id = ${scope.partnerId} and livemode = ${scope.livemode} and account = 'partner_payable'
    group by currency
    order by currency`;
}
