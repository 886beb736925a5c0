// Card-testing defence: per-partner decline velocity. Every declined authorization takes a token
// from the partner's decline bucket (burst = maxDeclines, refilled at maxDeclines per window); the
// decline that empties it trips the guard, and card payments of that partner are refused (429
// card_testing_suspected) for a whole window. A fraudster testing stolen cards through a partner's
// checkout produces exactly this pattern; ordinary declines (a few a minute) never get near it.
// Shared in Redis (one Lua script each, like token-bucket.ts); per gateway in memory if Redis fails.
import type { Redis, RedisHealth } from "../cache/redis-client.ts";

export interface DeclineLimit {
  /** Declines within `windowMs` that trip the guard. */
  maxDeclines: number;
  windowMs: number;
}

export interface DeclineVelocity {
  /** Milliseconds card payments of this partner stay paused, 0 when they are not. */
  pausedFor(partnerId: string): Promise<number>;
  /** Counts one decline; true when this decline tripped the guard (pause starts now). */
  recordDecline(partnerId: string, limit: DeclineLimit): Promise<boolean>;
  /** How many times the guard tripped since start (the card-testing alert's metric). */
  readonly trips: number;
}

// KEYS[1] bucket, KEYS[2] pause marker; ARGV: maxDeclines, windowMs. Time from Redis itself.
const declineScript = `
local burst = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local rate = burst / window
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local tokens = burst
local state = redis.call('GET', KEYS[1])
if state then
  local sep = string.find(state, '|', 1, true)
  tokens = math.min(burst, tonumber(string.sub(state, 1, sep - 1)) + (now - tonumber(string.sub(state, sep + 1))) * rate)
end
tokens = tokens - 1
local tripped = 0
if tokens < 1 then
  if redis.call('SET', KEYS[2], '1', 'PX', window, 'NX') then tripped = 1 end
  tokens = math.max(tokens, 0)
end
redis.call('SET', KEYS[1], tostring(tokens) .. '|' .. tostring(now), 'PX', window * 2)
return tripped`;

type RedisWithDeclines = Redis & {
  recordCardDecline(bucket: string, pause: string, maxDeclines: number, windowMs: number): Promise<number>;
};

const bucketKey = (partnerId: string) => `declines:${partnerId}`;
const pauseKey = (partnerId: string) => `declines-paused:${partnerId}`;

export function createDeclineVelocity(
  redis: Redis | undefined,
  health: RedisHealth,
  now: () => number = Date.now,
): DeclineVelocity {
  if (redis && !("recordCardDecline" in redis)) {
    redis.defineCommand("recordCardDecline", { numberOfKeys: 2, lua: declineScript });
  }
  const local = new Map<string, { tokens: number; last: number; pausedUntil: number }>();
  let trips = 0;

  function recordLocal(partnerId: string, limit: DeclineLimit): boolean {
    const t = now();
    const rate = limit.maxDeclines / limit.windowMs;
    const b = local.get(partnerId) ?? { tokens: limit.maxDeclines, last: t, pausedUntil: 0 };
    b.tokens = Math.min(limit.maxDeclines, b.tokens + (t - b.last) * rate) - 1;
    b.last = t;
    let tripped = false;
    if (b.tokens < 1) {
      b.tokens = Math.max(b.tokens, 0);
      if (b.pausedUntil <= t) {
        b.pausedUntil = t + limit.windowMs;
        tripped = true;
      }
    }
    if (local.size > 100_000) local.clear();
    local.set(partnerId, b);
    return tripped;
  }

  function pausedLocally(partnerId: string): number {
    return Math.max(0, (local.get(partnerId)?.pausedUntil ?? 0) - now());
  }

  return {
    async pausedFor(partnerId) {
      // A pause this gateway decided while Redis was down still holds when Redis is back.
      const localPause = pausedLocally(partnerId);
      if (!redis) return localPause;
      try {
        const ttl = await redis.pttl(pauseKey(partnerId));
        return Math.max(localPause, ttl, 0); // pttl is -2 (no pause) or -1 (none set)
      } catch (err) {
        health.record(err, "decline velocity");
        return localPause;
      }
    },
    async recordDecline(partnerId, limit) {
      let tripped: boolean;
      if (!redis) tripped = recordLocal(partnerId, limit);
      else {
        try {
          tripped =
            (await (redis as RedisWithDeclines).recordCardDecline(
              bucketKey(partnerId),
              pauseKey(partnerId),
              limit.maxDeclines,
              limit.windowMs,
            )) === 1;
        } catch (err) {
          health.record(err, "decline velocity");
          tripped = recordLocal(partnerId, limit);
        }
      }
      if (tripped) trips++;
      return tripped;
    },
    get trips() {
      return trips;
    },
  };
}
