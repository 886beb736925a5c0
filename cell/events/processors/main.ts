// Entry point of one core-processor process: `tsx cell/events/processors/main.ts`. It runs the
// ledger, settlement and webhook consumers (durable, shared by every processor process of the
// cell) and the webhook dispatcher. Logs "ready" once it consumes.

import { connect } from "nats";
import { z } from "zod";
import { natsServersEnv } from "../../../shared/config/nats-servers.ts";
import { postgresUrl } from "../../../shared/config/postgres-url.ts";
import { guardKnownLibraryFaults } from "../../../shared/known-library-faults.ts";
import { createLogger } from "../../../shared/logger.ts";
import { natsClientAuthFromEnv, natsConnectAuth } from "../../../shared/nats-auth.ts";
import { onShutdownSignal } from "../../../shared/shutdown.ts";
import { startMetricsServer } from "../../../shared/telemetry/metrics-server.ts";
import { startTracingFromEnv } from "../../../shared/telemetry/otel-sdk.ts";
import { createDb } from "../../db/client.ts";
import { startPartitionMaintainer } from "../../db/partitions/partition-maintainer.ts";
import { retentionConfigFrom, retentionEnvSchema } from "../../db/partitions/retention-config.ts";
import { keyringSource } from "../../vault/master-keyring.ts";
import { createVault } from "../../vault/vault.ts";
import { createWebhookHandler, parseWebhookEnv, startWebhookDispatcher } from "../../webhooks/index.ts";
import { waitForStreams } from "../streams.ts";
import { createProcessorTelemetry } from "../worker-telemetry.ts";
import { startConsumerRunners } from "./consumer-runner.ts";
import type { ProcessorDeps } from "./event-handler.ts";
import { createLedgerHandler } from "./ledger.ts";
import { fromOutbox } from "./outbox-check.ts";
import { createOutboxReader } from "./outbox-reader.ts";
import { createSettlementHandler } from "./settlement.ts";
import { startSettlementCloser } from "./settlement-closer.ts";

const envSchema = retentionEnvSchema.extend({
  CELLPAY_CELL_ID: z.string().min(1),
  DATABASE_URL: postgresUrl,
  /** One URL, or every node of the cell's JetStream cluster comma-separated (the client fails over). */
  NATS_URL: natsServersEnv,
  /** This process's own NATS credential (NKey seed file, 0600) and optional TLS to NATS. */
  NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
  NATS_TLS_CA_FILE: z.string().min(1).optional(),
  NATS_TLS_CERT_FILE: z.string().min(1).optional(),
  NATS_TLS_KEY_FILE: z.string().min(1).optional(),
  CELLPAY_MASTER_KEY: z.string().optional(),
  CELLPAY_MASTER_KEY_FILE: z.string().optional(),
  CELLPAY_MASTER_KEYS_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  PROCESSOR_MAX_DELIVER: z.coerce.number().int().min(1).max(100).default(5),
  PROCESSOR_ACK_WAIT_MS: z.coerce.number().int().min(1000).default(30_000),
  PROCESSOR_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  /** Most events a consumer applies in one commit (ledger, settlement, webhooks); 1: one by one. */
  PROCESSOR_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(256),
  PROCESSOR_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
  PROCESSOR_RETRY_MAX_MS: z.coerce.number().int().min(1).default(60_000),
  /** Optional: serve GET /metrics on this port (127.0.0.1). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The metrics-scrape credential /metrics accepts. */
  CELLPAY_METRICS_TOKEN: z.string().min(16).optional(),
});

function parseEnv(env: Record<string, string | undefined>) {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`processor configuration is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}

const env = parseEnv(process.env);
const retention = retentionConfigFrom(env);
const logger = createLogger({ service: "processor", cellId: env.CELLPAY_CELL_ID, level: env.LOG_LEVEL });
guardKnownLibraryFaults((err) =>
  logger.warn({ err: err.message }, "postgres driver late write after a dropped connection (ignored)"),
);
const tracing = startTracingFromEnv("processor");
try {
  const database = createDb(env.DATABASE_URL, {
    max: env.PG_POOL_MAX,
    applicationName: `processor-${env.CELLPAY_CELL_ID}`,
  });
  const { sql, db } = database;
  const vault = await createVault({ db, sql, keyring: keyringSource(env), cellId: env.CELLPAY_CELL_ID });
  const nc = await connect({
    servers: env.NATS_URL,
    name: `processor-${env.CELLPAY_CELL_ID}`,
    maxReconnectAttempts: -1,
    // Without it every publish/request builds an Error up front for its async stack trace: 15-20%
    // of the relay's CPU under load (NatsError and BaseRequest in its profile). Errors still say
    // what failed; they lose only the line that started the request.
    noAsyncTraces: true,
    ...natsConnectAuth(natsClientAuthFromEnv(env)),
  });
  const jsm = await nc.jetstreamManager();
  await waitForStreams(jsm, env.CELLPAY_CELL_ID, {
    onWait: () => logger.info("waiting for the relay to create the event streams"),
  });
  const telemetry = createProcessorTelemetry(env.CELLPAY_CELL_ID, jsm);
  const deps: ProcessorDeps = {
    cellId: env.CELLPAY_CELL_ID,
    sql,
    db,
    vault,
    log: logger,
    clock: () => new Date(),
  };
  // Every consumer takes its events from the outbox, not from the message (outbox-check.ts),
  // each row read once for the three of them.
  const outbox = createOutboxReader(sql, env.CELLPAY_CELL_ID);
  const handlers = [createLedgerHandler(deps), createSettlementHandler(deps), createWebhookHandler(deps)].map(
    (h) => fromOutbox(h, deps, outbox),
  );
  const consumers = await startConsumerRunners(handlers, {
    cellId: env.CELLPAY_CELL_ID,
    js: nc.jetstream(),
    jsm,
    log: logger,
    serverVersion: nc.info?.version ?? "0.0.0",
    maxDeliver: env.PROCESSOR_MAX_DELIVER,
    ackWaitMs: env.PROCESSOR_ACK_WAIT_MS,
    concurrency: env.PROCESSOR_CONCURRENCY,
    maxBatch: env.PROCESSOR_MAX_BATCH,
    retryBaseMs: env.PROCESSOR_RETRY_BASE_MS,
    retryMaxMs: env.PROCESSOR_RETRY_MAX_MS,
    onHandled: telemetry.onHandled,
    onRefused: telemetry.onRefused,
  });
  telemetry.watch(handlers.map((h) => h.name));
  const dispatcher = startWebhookDispatcher(deps, {
    ...parseWebhookEnv(process.env),
    onAttempt: telemetry.onAttempt,
  });
  const closer = startSettlementCloser(database.sql, logger);
  const partitions = startPartitionMaintainer(database.sql, logger, retention);
  const metrics =
    env.METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer(telemetry.registry, {
          port: env.METRICS_PORT,
          log: logger,
          token: env.CELLPAY_METRICS_TOKEN,
        });
  // platform/worker-process.ts waits for this line, so it is written whatever LOG_LEVEL hides.
  logger
    .child({}, { level: "info" })
    .info({ pid: process.pid, consumers: handlers.map((h) => h.name) }, "ready");
  onShutdownSignal(logger, async () => {
    closer.stop();
    await partitions.stop();
    await metrics?.close();
    await consumers.stop();
    await dispatcher.stop();
    await tracing?.shutdown();
    await nc.drain();
    await database.end();
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, "processor failed to start");
  process.exit(1);
}
