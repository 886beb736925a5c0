// The cell's Redis client, set up so that a slow or dead Redis costs a request at most a few
// milliseconds: no offline queue (commands fail at once while disconnected), a short command
// timeout, and reconnection in the background. Every caller treats a failure as a cache miss.
import { Redis } from "ioredis";
import type { Logger } from "../../shared/logger.ts";

export type { Redis } from "ioredis";

export interface RedisHealth {
  /** Redis operations that failed and were served without Redis. */
  degraded: number;
  /** Counts one degraded operation and logs at most one line every 5 s. */
  record(err: unknown, what: string): void;
}

export function createRedis(url: string, log: Logger, opts: { commandTimeoutMs?: number } = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 50,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    // Commands issued in the same event-loop turn (the token buckets and cache reads of concurrent
    // requests) go out in one write and come back in one read: fewer syscalls per request.
    enableAutoPipelining: true,
  });
  let lastLog = 0;
  redis.on("error", (err: Error) => {
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log.warn({ err: err.message }, "redis unavailable; serving from Postgres and local limits");
    }
  });
  return redis;
}

export function createRedisHealth(log: Logger): RedisHealth {
  let lastLog = 0;
  const health: RedisHealth = {
    degraded: 0,
    record(err, what) {
      health.degraded++;
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log.warn({ err: (err as Error).message, what, degraded_total: health.degraded }, "redis degraded");
      }
    },
  };
  return health;
}
