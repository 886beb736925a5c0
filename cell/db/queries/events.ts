// The outbox table read two ways: by the relay (claim unpublished rows, mark them published) and
// by the events API (a partner's envelopes, in the key's mode). Rows become the one documented
// envelope in events/envelope.ts.
import type { TransactionSql } from "postgres";
import { timeIdBound } from "../../../shared/ids.ts";
import type { OutboxRow } from "../../events/envelope.ts";
import type { ModeScope } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";

export { type OutboxRow, toEnvelope } from "../../events/envelope.ts";

/** Locks up to `limit` unpublished rows for this transaction; rows another relay holds are skipped. */
export function claimUnpublished(tx: TransactionSql, limit: number): Promise<OutboxRow[]> {
  return tx<OutboxRow[]>`
    select id, partner_id, livemode, type, data, created_at, trace_parent from events
    where published_at is null
    order by id
    limit ${limit}
    for update skip locked`;
}

export async function markPublished(tx: TransactionSql, ids: string[]): Promise<void> {
  await tx`update events set published_at = now() where id = any(${ids})`;
}

/** Newest first by id (ids are time-sortable); one row more than asked tells whether there is more. */
export function listEvents(
  sql: Sql,
  scope: ModeScope,
  f: { limit: number; startingAfter?: string | undefined; type?: string | undefined },
): Promise<OutboxRow[]> {
  return sql<OutboxRow[]>`
    select id, partner_id, livemode, type, data, created_at from events
    where partner_id = ${scope.partnerId} and livemode = ${scope.livemode}
      ${f.startingAfter ? sql`and id < ${f.startingAfter}` : sql``}
      ${f.type ? sql`and type = ${f.type}` : sql``}
    order by id desc
    limit ${f.limit + 1}`;
}

export async function findEvent(sql: Sql, scope: ModeScope, id: string): Promise<OutboxRow | undefined> {
  const rows = await sql<OutboxRow[]>`
    select id, partner_id, livemode, type, data, created_at from events where id = ${id} and partner_id = ${scope.partnerId}
      and livemode = ${scope.livemode}`;
  return rows[0];
}

/** The outbox rows of these event ids (any partner): what processors trust instead of a message. */
export function eventsByIds(sql: Sql, ids: readonly string[]): Promise<OutboxRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return sql<OutboxRow[]>`
    select id, partner_id, livemode, type, data, created_at from events where id = any(${ids as string[]}::text[])`;
}

/**
 * The outbox since `since`, oldest first, `afterId` continuing a page: what a re-drive reads. The
 * bound is an id (the time an id starts with), so only the partitions from `since` on are read.
 */
export function eventsSince(
  sql: Sql,
  since: Date,
  f: { limit: number; afterId?: string | undefined },
): Promise<OutboxRow[]> {
  const from = timeIdBound("evt", since.getTime());
  return sql<OutboxRow[]>`
    select id, partner_id, livemode, type, data, created_at, trace_parent from events
    where id >= ${from}
      ${f.afterId ? sql`and id > ${f.afterId}` : sql``}
    order by id
    limit ${f.limit}`;
}
