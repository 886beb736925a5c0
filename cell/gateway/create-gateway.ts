// Builds a running gateway from its configuration: clients, vault, the two apps and their HTTP
// servers (public on PORT, internal on INTERNAL_PORT), recoverer. main.ts calls it with the real
// environment; tests call it with the servers they started.
import { createServer, type Server } from "node:http";
import { getRequestListener, RequestError } from "@hono/node-server";
import { loadVerifyKey } from "../../shared/cell-api/move-capability.ts";
import { answerClientError, answerUnparsableRequest } from "../../shared/http/client-error.ts";
import type { Logger } from "../../shared/logger.ts";
import { liveConnectorsNamed } from "../acquirer/acquirer-routes.ts";
import type { AcquirerConnector } from "../acquirer/connector.ts";
import { createPaymentCache } from "../cache/payment-cache.ts";
import { createRedis, createRedisHealth } from "../cache/redis-client.ts";
import { createDb } from "../db/client.ts";
import { createOutboxWaker } from "../events/outbox-wake.ts";
import { createDeclineVelocity } from "../limits/decline-velocity.ts";
import { InFlight } from "../limits/in-flight.ts";
import { createTokenBuckets } from "../limits/token-bucket.ts";
import { createKeyLookup } from "../partners/key-lookup.ts";
import { batchedPaymentWrites } from "../payments/payment-writes.ts";
import { startRecoverer } from "../payments/recoverer.ts";
import { deriveSubkey, KEY_CACHE_SIGNING_LABEL } from "../vault/envelope.ts";
import { keyringSource } from "../vault/master-keyring.ts";
import { createVault } from "../vault/vault.ts";
import { createGatewayApp } from "./app.ts";
import type { GatewayEnv } from "./config.ts";
import type { GatewayDeps } from "./deps.ts";
import { createInternalListenerApp } from "./internal/internal-listener-app.ts";
import { createGatewayTelemetry } from "./telemetry/gateway-telemetry.ts";

export interface RunningGateway {
  /** The public API (the router's target). */
  url: string;
  /** The internal listener: /internal/v1, /metrics, /metrics/partners (the control plane's). */
  internalUrl: string;
  deps: GatewayDeps;
  close(): Promise<void>;
}

function listen(
  app: { fetch: (req: Request) => Response | Promise<Response> },
  port: number,
  hostname: string,
) {
  // getRequestListener rather than serve(): only it takes an errorHandler, and without one a
  // request it cannot parse (a backslash in the path) gets a bare 400 with no body.
  const listener = getRequestListener(app.fetch, {
    hostname,
    // app.fetch answers its own errors (onError), so only a request it never saw arrives here.
    errorHandler: (err) =>
      err instanceof RequestError ? answerUnparsableRequest() : new Response(null, { status: 500 }),
  });
  return new Promise<Server>((resolve, reject) => {
    const s = createServer(listener);
    s.on("clientError", answerClientError);
    s.once("error", reject);
    s.listen(port, hostname, () => resolve(s));
  });
}

function urlOf(server: Server, host: string, fallbackPort: number): string {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : fallbackPort;
  return `http://${host}:${port}`;
}

/** Stop taking connections, let in-flight requests finish (5 s at most). */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    setTimeout(() => {
      server.closeAllConnections();
    }, 5000).unref();
  });
}

export async function startGateway(
  env: GatewayEnv,
  logger: Logger,
  acquirer: AcquirerConnector,
  /** Live connectors by name; default: those LIVE_CONNECTORS names. */
  liveAcquirers: ReadonlyMap<string, AcquirerConnector> = liveConnectorsNamed(env.LIVE_CONNECTORS),
): Promise<RunningGateway> {
  const database = createDb(env.DATABASE_URL, {
    max: env.PG_POOL_MAX,
    applicationName: `gateway-${env.CELLPAY_CELL_ID}`,
  });
  const { sql, db } = database;
  const keyring = keyringSource(env);
  // Refuses to start (the start-up canary) when the master keys do not open this cell's keys.
  const vault = await createVault({
    db,
    sql,
    keyring,
    cellId: env.CELLPAY_CELL_ID,
    log: logger,
    runRotations: true,
  }).catch(async (err: unknown) => {
    await database.end();
    throw err;
  });
  const digestRoot = keyring.load().digestRoot;
  const redis = env.REDIS_URL
    ? createRedis(env.REDIS_URL, logger, { commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS })
    : undefined;
  const redisHealth = createRedisHealth(logger);
  const paymentCache = createPaymentCache(redis, redisHealth);
  const outboxWaker = createOutboxWaker(env.OUTBOX_WAKE_ADDRESS, (err) =>
    logger.warn({ err: err.message }, "outbox wake-up not sent (the relay's sweep will find the events)"),
  );
  const paymentWrites = batchedPaymentWrites(sql, {
    maxConcurrent: env.WRITE_BATCH_CONCURRENCY,
    onEventsCommitted: outboxWaker.wake,
  });
  const untimed: GatewayDeps = {
    config: {
      cellId: env.CELLPAY_CELL_ID,
      acquirerTimeoutMs: env.ACQUIRER_TIMEOUT_MS,
      idempotencyLockMs: env.IDEMPOTENCY_LOCK_MS,
      maxInFlight: env.MAX_IN_FLIGHT,
      queueBudgetMs: env.QUEUE_BUDGET_MS,
      defaultRateLimit: { rate: env.RATE_LIMIT_RATE, burst: env.RATE_LIMIT_BURST },
      defaultMaxConcurrency: env.PARTNER_MAX_CONCURRENCY,
      declineLimit: { maxDeclines: env.CARD_TESTING_MAX_DECLINES, windowMs: env.CARD_TESTING_WINDOW_MS },
      cellAdminToken: env.CELLPAY_CELL_ADMIN_TOKEN,
      metricsToken: env.CELLPAY_METRICS_TOKEN,
      moveVerifyKey: env.CELLPAY_MOVE_VERIFY_KEY ? loadVerifyKey(env.CELLPAY_MOVE_VERIFY_KEY) : undefined,
      webhookAllowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS === "true",
    },
    sql,
    sqlWithoutDeadline: database.sqlWithoutDeadline,
    paymentWrites,
    outboxWaker,
    db,
    logger,
    acquirers: { test: acquirer, live: liveAcquirers },
    vault,
    keys: createKeyLookup(sql, {
      ttlMs: env.KEY_CACHE_TTL_MS,
      redis,
      health: redisHealth,
      signingKey: deriveSubkey(digestRoot, KEY_CACHE_SIGNING_LABEL),
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
  // One telemetry for both apps: the public one records, the internal one serves the figures.
  const telemetry = createGatewayTelemetry(untimed);
  const deps: GatewayDeps = { ...untimed, acquirers: telemetry.acquirers };
  const app = createGatewayApp(deps, telemetry);
  const internalApp = createInternalListenerApp(deps, telemetry);
  const recoverer = startRecoverer(
    {
      sql,
      writes: paymentWrites,
      acquirers: untimed.acquirers,
      vault,
      paymentCache,
      log: logger,
      acquirerTimeoutMs: env.ACQUIRER_TIMEOUT_MS,
      clock: deps.clock,
    },
    { intervalMs: env.RECOVERY_INTERVAL_MS, staleMs: env.RECOVERY_STALE_MS },
  );
  let server: Server;
  let internalServer: Server;
  try {
    // The internal listener first: a gateway the control plane cannot reach is not started.
    internalServer = await listen(internalApp, env.INTERNAL_PORT, env.INTERNAL_HOST);
    server = await listen(app, env.PORT, env.HOST).catch(async (err: unknown) => {
      await closeServer(internalServer);
      throw err;
    });
  } catch (err) {
    await recoverer.stop();
    await vault.close();
    redis?.disconnect();
    await database.end();
    throw err;
  }
  return {
    url: urlOf(server, env.HOST, env.PORT),
    internalUrl: urlOf(internalServer, env.INTERNAL_HOST, env.INTERNAL_PORT),
    deps,
    async close() {
      // Both listeners stop taking connections and finish what they run, then the pool goes.
      await Promise.all([closeServer(server), closeServer(internalServer)]);
      await recoverer.stop();
      await vault.close();
      redis?.disconnect();
      outboxWaker.close();
      await database.end();
    },
  };
}
