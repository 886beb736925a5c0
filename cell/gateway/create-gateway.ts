// Builds a running gateway from its configuration: clients, vault, app, HTTP server, recoverer.
// main.ts calls it with the real environment; tests call it with the servers they started.
import { serve } from "@hono/node-server";
import type { Logger } from "../../shared/logger.ts";
import type { AcquirerConnector } from "../acquirer/connector.ts";
import { createPaymentCache } from "../cache/payment-cache.ts";
import { createRedis, createRedisHealth } from "../cache/redis-client.ts";
import { createDb } from "../db/client.ts";
import { createDeclineVelocity } from "../limits/decline-velocity.ts";
import { InFlight } from "../limits/in-flight.ts";
import { createTokenBuckets } from "../limits/token-bucket.ts";
import { createKeyLookup } from "../partners/key-lookup.ts";
import { batchedPaymentWrites } from "../payments/payment-writes.ts";
import { startRecoverer } from "../payments/recoverer.ts";
import { deriveSubkey, KEY_CACHE_SIGNING_LABEL, loadMasterKey } from "../vault/envelope.ts";
import { createVault } from "../vault/vault.ts";
import { createGatewayApp } from "./app.ts";
import type { GatewayEnv } from "./config.ts";
import type { GatewayDeps } from "./deps.ts";

export interface RunningGateway {
  url: string;
  deps: GatewayDeps;
  close(): Promise<void>;
}

export async function startGateway(
  env: GatewayEnv,
  logger: Logger,
  acquirer: AcquirerConnector,
): Promise<RunningGateway> {
  const database = createDb(env.DATABASE_URL, {
    max: env.PG_POOL_MAX,
    applicationName: `gateway-${env.CELLPAY_CELL_ID}`,
  });
  const { sql, db } = database;
  const master = loadMasterKey(env);
  const vault = await createVault({ db, sql, master });
  const redis = env.REDIS_URL
    ? createRedis(env.REDIS_URL, logger, { commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS })
    : undefined;
  const redisHealth = createRedisHealth(logger);
  const paymentCache = createPaymentCache(redis, redisHealth);
  const paymentWrites = batchedPaymentWrites(sql, { maxConcurrent: env.WRITE_BATCH_CONCURRENCY });
  const deps: GatewayDeps = {
    config: {
      cellId: env.CELLPAY_CELL_ID,
      acquirerTimeoutMs: env.ACQUIRER_TIMEOUT_MS,
      idempotencyLockMs: env.IDEMPOTENCY_LOCK_MS,
      maxInFlight: env.MAX_IN_FLIGHT,
      queueBudgetMs: env.QUEUE_BUDGET_MS,
      defaultRateLimit: { rate: env.RATE_LIMIT_RATE, burst: env.RATE_LIMIT_BURST },
      defaultMaxConcurrency: env.PARTNER_MAX_CONCURRENCY,
      declineLimit: { maxDeclines: env.CARD_TESTING_MAX_DECLINES, windowMs: env.CARD_TESTING_WINDOW_MS },
      internalToken: env.CELLPAY_INTERNAL_TOKEN,
    },
    sql,
    paymentWrites,
    db,
    logger,
    acquirer,
    vault,
    keys: createKeyLookup(sql, {
      ttlMs: env.KEY_CACHE_TTL_MS,
      redis,
      health: redisHealth,
      signingKey: deriveSubkey(master, KEY_CACHE_SIGNING_LABEL),
      log: logger,
    }),
    redis,
    redisHealth,
    paymentCache,
    buckets: createTokenBuckets(redis, redisHealth),
    declineVelocity: createDeclineVelocity(redis, redisHealth),
    inFlight: new InFlight(),
    frozenPartners: new Set(),
    clock: () => new Date(),
  };
  const app = createGatewayApp(deps);
  const recoverer = startRecoverer(
    {
      sql,
      writes: paymentWrites,
      acquirer,
      vault,
      paymentCache,
      log: logger,
      acquirerTimeoutMs: env.ACQUIRER_TIMEOUT_MS,
      clock: deps.clock,
    },
    { intervalMs: env.RECOVERY_INTERVAL_MS, staleMs: env.RECOVERY_STALE_MS },
  );
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.PORT;
  return {
    url: `http://${env.HOST}:${port}`,
    deps,
    async close() {
      // Stop taking connections, let in-flight requests finish, then release the pool.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => {
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        }, 5000).unref();
      });
      await recoverer.stop();
      redis?.disconnect();
      await database.end();
    },
  };
}
