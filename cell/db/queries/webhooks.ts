// Webhook endpoints, deliveries and attempts. Partner-facing queries are always scoped by partner
// id; the dispatcher's claim is the one cross-partner query, and it enforces per-partner fairness.
import { ORIGINAL_API_VERSION } from "../../../shared/api-versions.ts";
import { type ModeScope, modeOf } from "../../partners/mode-scope.ts";
import type { Sql } from "../client.ts";
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from "../rows.ts";

export type { WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from "../rows.ts";

/** An endpoint's `mode` column for a scope (endpoints recorded their mode before `livemode` existed). */
const endpointMode = (scope: ModeScope) => modeOf(scope.livemode);

// ---- endpoints ----

/** Inserts unless the partner already has `max` enabled endpoints; undefined when refused. */
export async function insertEndpoint(
  sql: Sql,
  e: Pick<
    WebhookEndpointRow,
    "id" | "partner_id" | "url" | "description" | "mode" | "enabled_events" | "secret_sealed"
  > & { api_version?: string | undefined },
  max: number,
): Promise<WebhookEndpointRow | undefined> {
  const rows = await sql<WebhookEndpointRow[]>`
    insert into webhook_endpoints (id, partner_id, url, description, mode, enabled_events, secret_sealed, api_version)
    select ${e.id}, ${e.partner_id}, ${e.url}, ${e.description}, ${e.mode}, ${sql.json(e.enabled_events)}, ${e.secret_sealed}, ${e.api_version ?? ORIGINAL_API_VERSION}
    where (select count(*) from webhook_endpoints
           where partner_id = ${e.partner_id} and mode = ${e.mode} and status = 'enabled') < ${max}
    returning *`;
  return rows[0];
}

export async function findEndpoint(sql: Sql, scope: ModeScope, id: string) {
  const rows = await sql<WebhookEndpointRow[]>`
    select * from webhook_endpoints
    where id = ${id} and partner_id = ${scope.partnerId} and mode = ${endpointMode(scope)}`;
  return rows[0];
}

export async function listEndpoints(
  sql: Sql,
  scope: ModeScope,
  f: { limit: number; startingAfter?: string | undefined },
): Promise<WebhookEndpointRow[]> {
  return sql<WebhookEndpointRow[]>`
    select * from webhook_endpoints where partner_id = ${scope.partnerId} and mode = ${endpointMode(scope)}
      ${f.startingAfter ? sql`and id < ${f.startingAfter}` : sql``}
    order by id desc limit ${f.limit + 1}`;
}

/** Changes what was given (undefined keeps the value); undefined when there is no such endpoint. */
export async function updateEndpoint(
  sql: Sql,
  scope: ModeScope,
  id: string,
  change: { api_version?: string | undefined; description?: string | undefined },
) {
  const rows = await sql<WebhookEndpointRow[]>`
    update webhook_endpoints set
      api_version = coalesce(${change.api_version ?? null}, api_version),
      description = coalesce(${change.description ?? null}, description)
    where id = ${id} and partner_id = ${scope.partnerId} and mode = ${endpointMode(scope)} returning *`;
  return rows[0];
}

export async function disableEndpoint(sql: Sql, scope: ModeScope, id: string) {
  const rows = await sql<WebhookEndpointRow[]>`
    update webhook_endpoints set status = 'disabled'
    where id = ${id} and partner_id = ${scope.partnerId} and mode = ${endpointMode(scope)} returning *`;
  return rows[0];
}

/** The current secret becomes the previous one until `previousExpiresAt` (dropped when null). */
export async function rollEndpointSecret(
  sql: Sql,
  scope: ModeScope,
  id: string,
  newSealed: string,
  previousExpiresAt: Date | null,
) {
  const rows = await sql<WebhookEndpointRow[]>`
    update webhook_endpoints set
      previous_secret_sealed = case when ${previousExpiresAt}::timestamptz is null then null else secret_sealed end,
      previous_secret_expires_at = ${previousExpiresAt}::timestamptz,
      secret_sealed = ${newSealed}
    where id = ${id} and partner_id = ${scope.partnerId} and mode = ${endpointMode(scope)} returning *`;
  return rows[0];
}

// ---- fan-out (the event handler): webhook-fan-out.ts ----

/** NOTIFY channel that wakes the dispatchers when deliveries become due. */
export const DELIVERIES_CHANNEL = "cellpay_webhook_deliveries";

// ---- partner API on deliveries ----

export async function listDeliveries(
  sql: Sql,
  scope: ModeScope,
  f: {
    limit: number;
    startingAfter?: string | undefined;
    eventId?: string | undefined;
    status?: string | undefined;
  },
): Promise<WebhookDeliveryRow[]> {
  return sql<WebhookDeliveryRow[]>`
    select * from webhook_deliveries where partner_id = ${scope.partnerId} and livemode = ${scope.livemode}
      ${f.startingAfter ? sql`and id < ${f.startingAfter}` : sql``}
      ${f.eventId ? sql`and event_id = ${f.eventId}` : sql``}
      ${f.status ? sql`and status = ${f.status}` : sql``}
    order by id desc limit ${f.limit + 1}`;
}

export async function findDelivery(sql: Sql, scope: ModeScope, id: string) {
  const rows = await sql<WebhookDeliveryRow[]>`
    select * from webhook_deliveries
    where id = ${id} and partner_id = ${scope.partnerId} and livemode = ${scope.livemode}`;
  return rows[0];
}

/** Attempts carry no mode of their own: they are their delivery's, which must be in scope. */
export async function listAttempts(sql: Sql, scope: ModeScope, deliveryId: string) {
  return sql<WebhookAttemptRow[]>`
    select a.* from webhook_attempts a
    join webhook_deliveries d on d.id = a.delivery_id and d.partner_id = a.partner_id
    where a.delivery_id = ${deliveryId} and a.partner_id = ${scope.partnerId} and d.livemode = ${scope.livemode}
    order by a.attempt`;
}

/** A finished (dead or succeeded) delivery goes back to pending now, with a fresh max age. */
export async function resendDelivery(sql: Sql, scope: ModeScope, id: string, now: Date) {
  const rows = await sql<WebhookDeliveryRow[]>`
    with d as (
      update webhook_deliveries set status = 'pending', next_attempt_at = ${now}, created_at = ${now},
        updated_at = ${now}
      where id = ${id} and partner_id = ${scope.partnerId} and livemode = ${scope.livemode} and status <> 'pending'
      returning *
    ), n as (select pg_notify(${DELIVERIES_CHANNEL}, ${scope.partnerId}) from d)
    select d.* from d left join n on true`;
  return rows[0];
}

// ---- dispatcher ----

/** A leased delivery with everything one attempt needs (endpoint, sealed secrets, event). */
export interface ClaimedDelivery {
  id: string;
  partner_id: string;
  livemode: boolean;
  endpoint_id: string;
  event_id: string;
  /** Attempt number of this try (attempts are counted when leased, so a crash mid-send counts). */
  attempt: number;
  created_at: Date;
  /** Failed attempts since the delivery was (re)sent: the backoff exponent. */
  failures: number;
  url: string;
  mode: "test" | "live";
  endpoint_status: "enabled" | "disabled";
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  /** The endpoint's API version: the event is rendered in it when sent. */
  endpoint_api_version: string;
  event_type: string | null;
  event_data: unknown;
  event_created_at: Date | null;
  event_trace_parent: string | null;
}

/**
 * Leases up to `limit` due deliveries: at most `perPartner - busy[p]` per partner (partners already
 * at their cap are skipped outright, so a hanging endpoint's backlog never crowds out others).
 * `skip locked` + pushing next_attempt_at to `leaseUntil` in the same statement keeps several
 * dispatchers from sending the same delivery; a lease that expires (a crashed process) is retried.
 */
export async function claimDueDeliveries(
  sql: Sql,
  o: { now: Date; leaseUntil: Date; limit: number; perPartner: number; busy: Map<string, number> },
): Promise<ClaimedDelivery[]> {
  const busyIds = [...o.busy.keys()];
  const busyCounts = busyIds.map((p) => o.busy.get(p) ?? 0);
  const full = busyIds.filter((p) => (o.busy.get(p) ?? 0) >= o.perPartner);
  return sql<ClaimedDelivery[]>`
    with due as (
      select id, partner_id, row_number() over (partition by partner_id order by next_attempt_at, id) as rn
      from webhook_deliveries
      where status = 'pending' and next_attempt_at <= ${o.now} and partner_id <> all(${full}::text[])
    ), picked as (
      select d.id from webhook_deliveries d
      join due on due.id = d.id
      left join unnest(${busyIds}::text[], ${busyCounts}::int[]) as b(partner_id, n) on b.partner_id = d.partner_id
      where due.rn <= ${o.perPartner} - coalesce(b.n, 0)
        and d.status = 'pending' and d.next_attempt_at <= ${o.now}
      order by d.next_attempt_at
      limit ${o.limit}
      for update of d skip locked
    ), leased as (
      update webhook_deliveries d set next_attempt_at = ${o.leaseUntil}, attempts = d.attempts + 1,
        updated_at = ${o.now}
      from picked where d.id = picked.id
      returning d.*
    )
    select l.id, l.partner_id, l.livemode, l.endpoint_id, l.event_id, l.attempts as attempt, l.created_at,
      (select count(*)::int from webhook_attempts a
        where a.delivery_id = l.id and a.attempted_at >= l.created_at) as failures,
      e.url, e.mode, e.status as endpoint_status, e.secret_sealed, e.previous_secret_sealed,
      e.previous_secret_expires_at, e.api_version as endpoint_api_version, ev.type as event_type, ev.data as event_data, ev.created_at as event_created_at, ev.trace_parent as event_trace_parent
    from leased l
    join webhook_endpoints e on e.id = l.endpoint_id
    left join events ev on ev.id = l.event_id`;
}

export interface AttemptOutcome {
  deliveryId: string;
  partnerId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  attemptedAt: Date;
  status: "pending" | "succeeded" | "dead";
  nextAttemptAt: Date;
}

/** Records one attempt and the delivery's new state in one statement. */
export async function recordAttempt(sql: Sql, o: AttemptOutcome): Promise<void> {
  await sql`
    with a as (
      insert into webhook_attempts (delivery_id, attempt, partner_id, status_code, error, duration_ms, attempted_at)
      values (${o.deliveryId}, ${o.attempt}, ${o.partnerId}, ${o.statusCode}, ${o.error}, ${o.durationMs},
        ${o.attemptedAt})
      on conflict do nothing
    )
    update webhook_deliveries set status = ${o.status}, next_attempt_at = ${o.nextAttemptAt},
      last_status_code = ${o.statusCode}, last_error = ${o.error}, updated_at = ${o.attemptedAt}
    where id = ${o.deliveryId} and partner_id = ${o.partnerId}`;
}

/** Leases taken but never attempted (a dispatcher stopping): due again now, attempt not counted. */
export async function releaseLeases(sql: Sql, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update webhook_deliveries set next_attempt_at = ${now}, attempts = attempts - 1, updated_at = ${now}
    where id = any(${ids}::text[]) and status = 'pending'`;
}
