// GET /v1/payments/:id through Redis. Entries carry the payment's version (bumped by every change
// in the same statement as the change); a Lua compare-and-set keeps only the newest version, so a
// slow reader can never put back a status older than one a writer already announced. Writers
// store a tombstone with the version they are committing, alongside the commit and before
// answering: after a write returns, a read either finds the new version or falls through to
// Postgres (a read between tombstone and commit gets the old row, uncached, which was still true).
import { LATEST_API_VERSION } from "../../shared/api-versions.ts";
import type { PaymentBody } from "../gateway/schemas/payment.ts";
import type { Redis, RedisHealth } from "./redis-client.ts";

const TTL_SECONDS = 300;

// KEYS[1] entry; ARGV[1] version; ARGV[2] body JSON or "" for a tombstone; ARGV[3] ttl seconds.
// Replace when absent, when strictly newer, or a same-version tombstone by the body it stands for.
const compareAndSet = `
local current = redis.call('GET', KEYS[1])
local version = tonumber(ARGV[1])
if current then
  local sep = string.find(current, '|', 1, true)
  local v = tonumber(string.sub(current, 1, sep - 1))
  local isTombstone = sep == string.len(current)
  if v > version or (v == version and not (isTombstone and ARGV[2] ~= '')) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1`;

/**
 * Bodies are in the newest API shape: a new version starts a new key space, so no body cached in
 * an older shape is served after an upgrade.
 */
export const paymentCacheKey = (partnerId: string, id: string) =>
  `pay:${LATEST_API_VERSION}:${partnerId}:${id}`;

export interface PaymentCache {
  get(partnerId: string, id: string): Promise<PaymentBody | undefined>;
  /** After a read from Postgres. */
  fill(partnerId: string, id: string, version: number, body: PaymentBody): Promise<void>;
  /** For a change committing `version`: older entries can no longer be served. */
  invalidate(partnerId: string, id: string, version: number): Promise<void>;
}

type RedisWithCas = Redis & {
  paymentCas(key: string, version: number, body: string, ttl: number): Promise<number>;
};

const noCache: PaymentCache = {
  get: async () => undefined,
  fill: async () => {},
  invalidate: async () => {},
};

export function createPaymentCache(redis: Redis | undefined, health: RedisHealth): PaymentCache {
  if (!redis) return noCache;
  if (!("paymentCas" in redis)) redis.defineCommand("paymentCas", { numberOfKeys: 1, lua: compareAndSet });
  const r = redis as RedisWithCas;
  const key = paymentCacheKey;
  const cas = async (k: string, version: number, body: string) => {
    try {
      await r.paymentCas(k, version, body, TTL_SECONDS);
    } catch (err) {
      health.record(err, "payment cache write");
    }
  };
  return {
    async get(partnerId, id) {
      try {
        const entry = await r.get(key(partnerId, id));
        if (!entry) return undefined;
        const body = entry.slice(entry.indexOf("|") + 1);
        return body ? (JSON.parse(body) as PaymentBody) : undefined;
      } catch (err) {
        health.record(err, "payment cache read");
        return undefined;
      }
    },
    fill: (partnerId, id, version, body) => cas(key(partnerId, id), version, JSON.stringify(body)),
    invalidate: (partnerId, id, version) => cas(key(partnerId, id), version, ""),
  };
}
