// Finds the partner behind an API key: in-process cache (ttlMs), then Redis (shared by the cell's
// gateways), then Postgres. Revoking through revokeApiKey deletes the Redis entry, so a revocation
// takes effect within ttlMs; a change made behind its back within ttlMs + REDIS_TTL_SECONDS.
import type { Redis, RedisHealth } from "../cache/redis-client.ts";
import type { Sql } from "../db/client.ts";
import { type PartnerSettings, readPartnerSettings } from "./partner-settings.ts";

export const KEY_REDIS_TTL_SECONDS = 60;
export const keyCacheKey = (secretHash: string) => `key:${secretHash}`;

export interface KeyRecord {
  keyId: string;
  partnerId: string;
  mode: "test" | "live";
  revoked: boolean;
  partnerStatus: "active" | "suspended" | "moving";
  settings: PartnerSettings;
}

export interface KeyLookup {
  find(secretHash: string): Promise<KeyRecord | undefined>;
}

interface KeyRow {
  key_id: string;
  partner_id: string;
  mode: "test" | "live";
  revoked: boolean;
  partner_status: "active" | "suspended" | "moving";
  settings: unknown;
}

export function createKeyLookup(
  sql: Sql,
  opts: {
    ttlMs: number;
    maxEntries?: number;
    now?: () => number;
    random?: () => number;
    redis?: Redis;
    health?: RedisHealth;
  },
): KeyLookup {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 50_000;
  const local = new Map<string, { record: KeyRecord | undefined; expires: number }>();
  const { redis, health } = opts;

  async function fromRedis(secretHash: string): Promise<KeyRecord | null | undefined> {
    if (!redis) return undefined;
    try {
      const hit = await redis.get(keyCacheKey(secretHash));
      if (hit === null) return undefined;
      return hit === "" ? null : (JSON.parse(hit) as KeyRecord);
    } catch (err) {
      health?.record(err, "api key cache read");
      return undefined;
    }
  }

  async function fromPostgres(secretHash: string): Promise<KeyRecord | undefined> {
    const rows = await sql<KeyRow[]>`
      select k.id as key_id, k.partner_id, k.mode, k.revoked_at is not null as revoked,
        p.status as partner_status, p.settings
      from api_keys k join partners p on p.id = k.partner_id
      where k.secret_hash = ${secretHash}`;
    const row = rows[0];
    return row
      ? {
          keyId: row.key_id,
          partnerId: row.partner_id,
          mode: row.mode,
          revoked: row.revoked,
          partnerStatus: row.partner_status,
          settings: readPartnerSettings(row.settings),
        }
      : undefined;
  }

  /** Lookups under way: concurrent requests with one key share one (no burst of identical reads). */
  const loading = new Map<string, Promise<KeyRecord | undefined>>();
  const random = opts.random ?? Math.random;

  async function load(secretHash: string): Promise<KeyRecord | undefined> {
    const cached = await fromRedis(secretHash);
    let record: KeyRecord | undefined;
    if (cached === undefined) {
      record = await fromPostgres(secretHash);
      // Unknown keys are cached too (as ""), so a flood of bad keys does not reach Postgres.
      redis
        ?.set(keyCacheKey(secretHash), record ? JSON.stringify(record) : "", "EX", KEY_REDIS_TTL_SECONDS)
        .catch((err: unknown) => health?.record(err, "api key cache write"));
    } else {
      record = cached ?? undefined;
    }
    if (local.size >= max) local.clear();
    // Between 3/4 and all of the TTL: keys first used together (a deploy, a benchmark's start)
    // would otherwise all expire together, every ttlMs, in one burst of reads.
    local.set(secretHash, { record, expires: now() + opts.ttlMs * (0.75 + 0.25 * random()) });
    return record;
  }

  return {
    async find(secretHash) {
      const hit = local.get(secretHash);
      if (hit && hit.expires > now()) return hit.record;
      const pending = loading.get(secretHash);
      if (pending) return pending;
      const lookup = load(secretHash).finally(() => loading.delete(secretHash));
      loading.set(secretHash, lookup);
      return lookup;
    },
  };
}
