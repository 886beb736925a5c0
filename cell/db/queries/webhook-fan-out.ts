// Webhook fan-out, the "webhooks" event handler's writes: one pending delivery per enabled
// endpoint of the event's partner AND mode that wants the event's type, for one event or for a
// batch: a test event never reaches a live endpoint, nor a live event a test one.
// A redelivered event inserts nothing (unique endpoint+event); NOTIFY wakes the dispatchers.
import { modeOf } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";
import type { WebhookEndpointRow } from "../rows.ts";
import { DELIVERIES_CHANNEL } from "./webhooks.ts";

/**
 * One pending delivery per enabled endpoint of the partner that wants `type`, in one statement:
 * `ids` are pre-made delivery ids, handed out by endpoint rank. A redelivered event inserts
 * nothing (unique endpoint+event). NOTIFY wakes the dispatchers at commit.
 */
export async function insertDeliveriesForEvent(
  sql: Sql,
  ev: { id: string; partnerId: string; livemode: boolean; type: string },
  ids: string[],
  now: Date,
): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    with ep as (
      select id, row_number() over (order by id) as rank from webhook_endpoints
      where partner_id = ${ev.partnerId} and mode = ${modeOf(ev.livemode)} and status = 'enabled'
        and (enabled_events ? ${ev.type} or enabled_events ? '*')
    ), ins as (
      insert into webhook_deliveries (id, partner_id, livemode, endpoint_id, event_id, next_attempt_at, created_at,
        updated_at)
      select (${ids}::text[])[ep.rank], ${ev.partnerId}, ${ev.livemode}, ep.id, ${ev.id}, ${now}, ${now}, ${now}
      from ep where ep.rank <= ${ids.length}
      on conflict (endpoint_id, event_id) do nothing
      returning id
    ), n as (select count(*)::int as n from ins)
    select n, case when n > 0 then pg_notify(${DELIVERIES_CHANNEL}, ${ev.partnerId}) end from n`;
  return rows[0]?.n ?? 0;
}

export type FanOutEndpoint = Pick<WebhookEndpointRow, "id" | "partner_id" | "mode" | "enabled_events">;

/** The enabled endpoints of these partners, by partner then id (the rank order of the fan-out). */
export async function enabledEndpointsOf(sql: Sql, partnerIds: readonly string[]): Promise<FanOutEndpoint[]> {
  if (partnerIds.length === 0) return [];
  return sql<FanOutEndpoint[]>`
    select id, partner_id, mode, enabled_events from webhook_endpoints
    where partner_id = any(${partnerIds}::text[]) and status = 'enabled'
    order by partner_id, id`;
}

export interface NewDelivery {
  id: string;
  partnerId: string;
  livemode: boolean;
  endpointId: string;
  eventId: string;
}

/**
 * Inserts the deliveries a batch of events makes, in one statement, for endpoints still enabled
 * when it runs (like the single-event fan-out, which reads the endpoints in the same statement).
 * Returns how many were new; each partner that got one is NOTIFYed once.
 */
export async function insertDeliveries(sql: Sql, ds: readonly NewDelivery[], now: Date): Promise<number> {
  if (ds.length === 0) return 0;
  const rows = await sql<{ n: number }[]>`
    with ins as (
      insert into webhook_deliveries (id, partner_id, livemode, endpoint_id, event_id, next_attempt_at, created_at,
        updated_at)
      select d.id, d.partner_id, d.livemode, d.endpoint_id, d.event_id, ${now}, ${now}, ${now}
      from unnest(
        ${ds.map((d) => d.id)}::text[],
        ${ds.map((d) => d.partnerId)}::text[],
        -- as text: postgres.js sends no boolean[] parameter
        ${ds.map((d) => String(d.livemode))}::text[]::boolean[],
        ${ds.map((d) => d.endpointId)}::text[],
        ${ds.map((d) => d.eventId)}::text[]
      ) with ordinality as d(id, partner_id, livemode, endpoint_id, event_id, ord)
      -- The endpoint's mode is checked here too, so no caller can pair an event with the other mode.
      join webhook_endpoints e on e.id = d.endpoint_id and e.status = 'enabled'
        and e.mode = case when d.livemode then 'live' else 'test' end
      order by d.ord
      on conflict (endpoint_id, event_id) do nothing
      returning partner_id
    ), p as (select partner_id, count(*)::int as n from ins group by partner_id)
    select n, pg_notify(${DELIVERIES_CHANNEL}, partner_id) from p`;
  return rows.reduce((sum, r) => sum + r.n, 0);
}
