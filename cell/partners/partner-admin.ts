// Partner administration inside a cell, as the control plane asks for it: state, settings, keys
// and traffic. Status and settings changes also drop the partner's keys from the shared Redis key
// cache, so gateways see them within their local cache TTL.
import type { Redis } from "../cache/redis-client.ts";
import type { Sql } from "../db/client.ts";
import { invalidateCachedKeys } from "./key-lookup.ts";

export interface PartnerRecord {
  partner_id: string;
  name: string;
  status: "active" | "suspended";
  settings: Record<string, unknown>;
}

export async function findPartner(sql: Sql, partnerId: string): Promise<PartnerRecord | undefined> {
  const rows = await sql<PartnerRecord[]>`
    select id as partner_id, name, status, settings from partners where id = ${partnerId}`;
  return rows[0];
}

export async function updatePartner(
  sql: Sql,
  redis: Redis | undefined,
  partnerId: string,
  change: { status?: "active" | "suspended" | undefined; settings?: Record<string, unknown> | undefined },
): Promise<PartnerRecord | undefined> {
  const rows = await sql<PartnerRecord[]>`
    update partners set
      status = coalesce(${change.status ?? null}, status),
      settings = case when ${change.settings === undefined} then settings else settings || ${sql.json((change.settings ?? {}) as never)} end
    where id = ${partnerId}
    returning id as partner_id, name, status, settings`;
  if (rows[0]) await forgetPartnerKeys(sql, redis, partnerId);
  return rows[0];
}

export async function forgetPartnerKeys(
  sql: Sql,
  redis: Redis | undefined,
  partnerId: string,
): Promise<void> {
  if (!redis) return;
  const keys = await sql<
    { secret_hash: string }[]
  >`select secret_hash from api_keys where partner_id = ${partnerId}`;
  if (keys.length === 0) return;
  await invalidateCachedKeys(
    redis,
    keys.map((k) => k.secret_hash),
  ).catch(() => {});
}

export async function listKeys(sql: Sql, partnerId: string) {
  const rows = await sql<{ id: string; mode: string; hint: string; created_at: Date; revoked: boolean }[]>`
    select id, mode, hint, created_at, revoked_at is not null as revoked
    from api_keys where partner_id = ${partnerId} order by created_at`;
  return rows.map((r) => ({
    key_id: r.id,
    mode: r.mode,
    hint: r.hint,
    created: Math.floor(r.created_at.getTime() / 1000),
    revoked: r.revoked,
  }));
}

export async function partnerTraffic(sql: Sql, partnerId: string) {
  const [counts] = await sql<{ total: number; last_hour: number; failed_last_hour: number }[]>`
    select count(*)::int as total,
      count(*) filter (where created_at > now() - interval '1 hour')::int as last_hour,
      count(*) filter (where created_at > now() - interval '1 hour' and status = 'failed')::int as failed_last_hour
    from payments where partner_id = ${partnerId}`;
  const captured = await sql<{ currency: string; amount: number }[]>`
    select currency, sum(amount_captured)::bigint as amount from payments
    where partner_id = ${partnerId} group by currency`;
  const [hooks] = await sql<
    {
      endpoints_enabled: number;
      pending: number;
      dead: number;
      delivered_last_hour: number;
      failed_attempts_last_hour: number;
    }[]
  >`
    select
      (select count(*)::int from webhook_endpoints where partner_id = ${partnerId} and status = 'enabled') as endpoints_enabled,
      (select count(*)::int from webhook_deliveries where partner_id = ${partnerId} and status = 'pending') as pending,
      (select count(*)::int from webhook_deliveries where partner_id = ${partnerId} and status = 'dead') as dead,
      (select count(*)::int from webhook_deliveries where partner_id = ${partnerId} and status = 'succeeded'
         and updated_at > now() - interval '1 hour') as delivered_last_hour,
      (select count(*)::int from webhook_attempts where partner_id = ${partnerId}
         and attempted_at > now() - interval '1 hour' and (status_code is null or status_code >= 300)) as failed_attempts_last_hour`;
  return {
    partner_id: partnerId,
    webhooks: hooks ?? {
      endpoints_enabled: 0,
      pending: 0,
      dead: 0,
      delivered_last_hour: 0,
      failed_attempts_last_hour: 0,
    },
    payments_total: counts?.total ?? 0,
    payments_last_hour: counts?.last_hour ?? 0,
    failed_last_hour: counts?.failed_last_hour ?? 0,
    captured_by_currency: Object.fromEntries(captured.map((c) => [c.currency, c.amount])),
  };
}
