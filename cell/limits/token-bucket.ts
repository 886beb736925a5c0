// Per-partner token buckets. The shared one lives in Redis (one Lua script: atomic, one round
// trip, so every gateway of the cell enforces one budget); if Redis cannot answer, an
// in-process bucket per gateway keeps a bound (rate × gateway instances at worst).
import type { Redis, RedisHealth } from "../cache/redis-client.ts";

export interface BucketLimit {
  /** Tokens added per second (sustained requests per second). */
  rate: number;
  /** Bucket size (the burst a partner may send at once). */
  burst: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Milliseconds until a token is available (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Which bucket decided: "redis" or "local" (Redis unavailable). */
  source: "redis" | "local";
}

// KEYS[1] bucket; ARGV: rate, burst. Time from Redis itself, so gateways' clocks do not matter.
// Stored as "tokens|millis"; expires once it would be full anyway.
const takeScript = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local tokens = burst
local last = now
local state = redis.call('GET', KEYS[1])
if state then
  local sep = string.find(state, '|', 1, true)
  tokens = tonumber(string.sub(state, 1, sep - 1))
  last = tonumber(string.sub(state, sep + 1))
  tokens = math.min(burst, tokens + (now - last) * rate / 1000)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('SET', KEYS[1], tostring(tokens) .. '|' .. tostring(now), 'PX', math.ceil(burst / rate * 1000) + 1000)
return { allowed, tostring(tokens) }`;

type RedisWithTake = Redis & {
  takeToken(key: string, rate: number, burst: number): Promise<[number, string]>;
};

export interface TokenBuckets {
  take(partnerId: string, limit: BucketLimit): Promise<TakeResult>;
}

export function createTokenBuckets(
  redis: Redis | undefined,
  health: RedisHealth,
  now: () => number = Date.now,
): TokenBuckets {
  if (redis && !("takeToken" in redis))
    redis.defineCommand("takeToken", { numberOfKeys: 1, lua: takeScript });
  const local = new Map<string, { tokens: number; last: number }>();
  // After the shared bucket says "empty for N ms", this gateway refuses the partner locally until
  // then: the bucket could not have refilled, and a flood of over-limit requests then costs no
  // Redis round trip each (they are the cheapest requests to refuse, and must stay so).
  const emptyUntil = new Map<string, number>();

  function result(
    allowed: boolean,
    tokens: number,
    limit: BucketLimit,
    source: TakeResult["source"],
  ): TakeResult {
    return {
      allowed,
      remaining: Math.floor(tokens),
      retryAfterMs: allowed ? 0 : Math.ceil(((1 - tokens) / limit.rate) * 1000),
      resetMs: Math.ceil(((limit.burst - tokens) / limit.rate) * 1000),
      source,
    };
  }

  function takeLocal(partnerId: string, limit: BucketLimit): TakeResult {
    const t = now();
    const b = local.get(partnerId) ?? { tokens: limit.burst, last: t };
    b.tokens = Math.min(limit.burst, b.tokens + ((t - b.last) * limit.rate) / 1000);
    b.last = t;
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    local.set(partnerId, b);
    return result(allowed, b.tokens, limit, "local");
  }

  return {
    async take(partnerId, limit) {
      if (!redis) return takeLocal(partnerId, limit);
      const until = emptyUntil.get(partnerId);
      if (until !== undefined) {
        const t = now();
        if (t < until) return { ...result(false, 0, limit, "redis"), retryAfterMs: until - t };
        emptyUntil.delete(partnerId);
      }
      try {
        const [allowed, tokens] = await (redis as RedisWithTake).takeToken(
          `rl:${partnerId}`,
          limit.rate,
          limit.burst,
        );
        const taken = result(allowed === 1, Number(tokens), limit, "redis");
        if (!taken.allowed) {
          if (emptyUntil.size > 100_000) emptyUntil.clear();
          emptyUntil.set(partnerId, now() + taken.retryAfterMs);
        }
        return taken;
      } catch (err) {
        health.record(err, "rate limit");
        return takeLocal(partnerId, limit);
      }
    },
  };
}
