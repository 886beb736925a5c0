// Finds the partner behind an API key: in-process cache (ttlMs), then Redis (shared by the cell's
// gateways), then Postgres. Revoking through revokeApiKey invalidates the Redis entry, so a
// revocation takes effect within ttlMs; a change made behind its back within ttlMs + REDIS_TTL_SECONDS.
//
// Redis is a cache, never an authority: anyone who can write to it must not be able to let a
// request in. So every cached record is signed (HMAC-SHA256 under a key derived from the master
// key, which Redis never sees) and bound to the key's hash and an expiry; a record that fails the
// check is a miss (counted, logged at warn) and Postgres decides.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Logger } from "../../shared/logger.ts";
import type { Redis, RedisHealth } from "../cache/redis-client.ts";
import type { Sql } from "../db/client.ts";
import { type PartnerSettings, readPartnerSettings } from "./partner-settings.ts";

export const KEY_REDIS_TTL_SECONDS = 60;
export const keyCacheKey = (secretHash: string) => `key:${secretHash}`;
/** Bumped by every invalidation: a lookup that read Postgres before it may not write its result. */
export const keyGenerationKey = (secretHash: string) => `keygen:${secretHash}`;
/** Far longer than any lookup can be in flight; revocations are rare, so these stay few. */
const GENERATION_TTL_SECONDS = 24 * 3600;

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
  /** Cached records refused because their signature, binding or expiry did not check out. */
  readonly rejectedRecords: number;
}

interface KeyRow {
  key_id: string;
  partner_id: string;
  mode: "test" | "live";
  revoked: boolean;
  partner_status: "active" | "suspended" | "moving";
  settings: unknown;
}

// KEYS[1] record, KEYS[2] generation; ARGV: generation seen before Postgres was read ('' for
// none), the signed value, its TTL. Writes only if no invalidation happened since that read.
const writeIfCurrentScript = `
local g = redis.call('GET', KEYS[2]) or ''
if g ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1`;

type RedisWithWrite = Redis & {
  writeKeyRecordIfCurrent(
    recordKey: string,
    generationKey: string,
    generation: string,
    value: string,
    ttlSeconds: number,
  ): Promise<number>;
};

/**
 * Signed value: `<mac hex>.<json>`, json = { r: record or null (unknown key), exp: unix ms }, and
 * the MAC covers the key's hash too, so a record copied under another key's entry fails. A record
 * captured before a revocation and written back verifies until its own `exp`: replay is bounded by
 * KEY_REDIS_TTL_SECONDS, like the cache itself.
 */
export function signKeyRecord(
  signingKey: Buffer,
  secretHash: string,
  record: KeyRecord | undefined,
  expiresAtMs: number,
): string {
  const json = JSON.stringify({ r: record ?? null, exp: expiresAtMs });
  return `${mac(signingKey, secretHash, json)}.${json}`;
}

function mac(signingKey: Buffer, secretHash: string, json: string): string {
  return createHmac("sha256", signingKey)
    .update(`cellpay key record v1\n${secretHash}\n${json}`)
    .digest("hex");
}

/** The record, null for a cached "unknown key", or "invalid" when the value cannot be trusted. */
function verifyKeyRecord(
  signingKey: Buffer,
  secretHash: string,
  value: string,
  nowMs: number,
): KeyRecord | null | "invalid" {
  const dot = value.indexOf(".");
  if (dot !== 64) return "invalid";
  const given = Buffer.from(value.slice(0, dot), "hex");
  const json = value.slice(dot + 1);
  const expected = Buffer.from(mac(signingKey, secretHash, json), "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
  try {
    const parsed = JSON.parse(json) as { r: KeyRecord | null; exp: number };
    if (typeof parsed.exp !== "number" || parsed.exp <= nowMs) return "invalid";
    return parsed.r;
  } catch {
    return "invalid";
  }
}

/**
 * Forgets keys in the shared cache after their row changed in Postgres (revoked, partner
 * suspended…). Call it after the change committed: the generation bump makes any lookup that read
 * Postgres before the commit skip its cache write (see load()), and the DEL drops what is there.
 */
export async function invalidateCachedKeys(redis: Redis, secretHashes: readonly string[]): Promise<void> {
  if (secretHashes.length === 0) return;
  const tx = redis.multi();
  for (const hash of secretHashes) {
    tx.incr(keyGenerationKey(hash));
    tx.expire(keyGenerationKey(hash), GENERATION_TTL_SECONDS);
    tx.del(keyCacheKey(hash));
  }
  await tx.exec();
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
    /** HMAC key for cached records (vault/envelope.ts deriveSubkey); required with `redis`. */
    signingKey?: Buffer;
    log?: Logger;
  },
): KeyLookup {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 50_000;
  const local = new Map<string, { record: KeyRecord | undefined; expires: number }>();
  const { redis, health, signingKey, log } = opts;
  if (redis && !signingKey) throw new Error("createKeyLookup: a Redis cache needs a signingKey");
  if (redis && !("writeKeyRecordIfCurrent" in redis)) {
    redis.defineCommand("writeKeyRecordIfCurrent", { numberOfKeys: 2, lua: writeIfCurrentScript });
  }
  let rejectedRecords = 0;
  let lastRejectLog = 0;

  /** The cached record (undefined: miss) and the generation seen with it (undefined: unknown). */
  async function fromRedis(
    secretHash: string,
  ): Promise<{ cached: KeyRecord | null | undefined; generation: string | undefined }> {
    if (!redis || !signingKey) return { cached: undefined, generation: undefined };
    try {
      const [hit, generation] = await redis.mget(keyCacheKey(secretHash), keyGenerationKey(secretHash));
      if (hit === null || hit === undefined) return { cached: undefined, generation: generation ?? "" };
      const verified = verifyKeyRecord(signingKey, secretHash, hit, now());
      if (verified !== "invalid") return { cached: verified, generation: generation ?? "" };
      rejectedRecords++;
      if (now() - lastRejectLog > 5000) {
        lastRejectLog = now();
        // The hash prefix names the entry without being usable; the value is not logged.
        log?.warn(
          { key_hash_prefix: secretHash.slice(0, 12), rejected_total: rejectedRecords },
          "api key cache record failed verification; treated as a miss",
        );
      }
      return { cached: undefined, generation: generation ?? "" };
    } catch (err) {
      health?.record(err, "api key cache read");
      return { cached: undefined, generation: undefined };
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
    const { cached, generation } = await fromRedis(secretHash);
    let record: KeyRecord | undefined;
    if (cached === undefined) {
      record = await fromPostgres(secretHash);
      // Unknown keys are cached too (r: null), so a flood of bad keys does not reach Postgres.
      // The write happens only if the key's generation is still the one read *before* Postgres:
      // a revocation commits, then bumps the generation, then deletes the entry. So a lookup that
      // read Postgres before the commit either writes before the bump (and the delete removes it)
      // or finds the generation moved and writes nothing; a lookup that read the generation after
      // the bump read Postgres after the commit and sees the key revoked. Without a generation
      // (Redis failed on the read) nothing is written.
      if (redis && signingKey && generation !== undefined) {
        const value = signKeyRecord(signingKey, secretHash, record, now() + KEY_REDIS_TTL_SECONDS * 1000);
        (redis as RedisWithWrite)
          .writeKeyRecordIfCurrent(
            keyCacheKey(secretHash),
            keyGenerationKey(secretHash),
            generation,
            value,
            KEY_REDIS_TTL_SECONDS,
          )
          .catch((err: unknown) => health?.record(err, "api key cache write"));
      }
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
    get rejectedRecords() {
      return rejectedRecords;
    },
  };
}
