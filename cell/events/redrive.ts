// The re-drive: hands events back from the outbox (the `events` table, the source of truth) to the
// relay, which publishes them again. Used when JetStream lost messages (its store was deleted, a
// stream was recreated) or a consumer missed some. Clearing published_at is all it takes: the
// relay publishes every such row with its event id as Nats-Msg-Id, so within the stream's
// duplicate window JetStream drops what it still holds, and past the window each consumer drops
// what its processed-event record (processed_events, webhook_deliveries per endpoint and event)
// already has. A re-drive is therefore safe to run twice, or while the relay runs.
import type { RedriveRequest, RedriveResult } from "../../shared/cell-api/contract-redrive.ts";
import type { Sql } from "../db/client.ts";

export async function redriveEvents(sql: Sql, request: RedriveRequest): Promise<RedriveResult> {
  const since = request.since === undefined ? undefined : new Date(request.since);
  const consumer = request.unprocessed_by;
  const [row] = await sql<{ requeued: number; first: string | null; last: string | null }[]>`
    with requeued as (
      update events set published_at = null
      where published_at is not null
        ${since === undefined ? sql`` : sql`and created_at >= ${since}`}
        ${
          consumer === undefined
            ? sql``
            : sql`and not exists (
                select 1 from processed_events p where p.consumer = ${consumer} and p.event_id = events.id)`
        }
      returning id
    )
    select count(*)::int as requeued, min(id) as first, max(id) as last from requeued`;
  return {
    requeued: row?.requeued ?? 0,
    since: since?.toISOString() ?? null,
    unprocessed_by: consumer ?? null,
    first_event_id: row?.first ?? null,
    last_event_id: row?.last ?? null,
  };
}
