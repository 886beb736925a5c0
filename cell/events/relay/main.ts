// Entry point of one outbox relay process: `tsx cell/events/relay/main.ts`. Several may run per
// cell (they share the outbox through SKIP LOCKED). Logs "ready" once it relays.

import { connect } from "nats";
import { z } from "zod";
import { natsServersEnv } from "../../../shared/config/nats-servers.ts";
import { postgresUrl } from "../../../shared/config/postgres-url.ts";
import { guardKnownLibraryFaults } from "../../../shared/known-library-faults.ts";
import { createLogger } from "../../../shared/logger.ts";
import { natsClientAuthFromEnv, natsConnectAuth } from "../../../shared/nats-auth.ts";
import { onShutdownSignal } from "../../../shared/shutdown.ts";
import { startMetricsServer } from "../../../shared/telemetry/metrics-server.ts";
import { createDb } from "../../db/client.ts";
import { createRelayTelemetry } from "../worker-telemetry.ts";
import { OutboxRelay } from "./outbox-relay.ts";

const envSchema = z.object({
  CELLPAY_CELL_ID: z.string().min(1),
  DATABASE_URL: postgresUrl,
  /** One URL, or every node of the cell's JetStream cluster comma-separated (the client fails over). */
  NATS_URL: natsServersEnv,
  /** Copies of each stream: the size of the cell's JetStream cluster. */
  CELLPAY_NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** This process's own NATS credential (NKey seed file, 0600) and optional TLS to NATS. */
  NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
  NATS_TLS_CA_FILE: z.string().min(1).optional(),
  NATS_TLS_CERT_FILE: z.string().min(1).optional(),
  NATS_TLS_KEY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  RELAY_IDLE_MS: z.coerce.number().int().min(1).max(300_000).default(1000),
  /** UDP port where writers (the gateways) wake the relay after their commits (outbox-wake.ts). */
  RELAY_WAKE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  RELAY_WAKE_HOST: z.string().min(1).default("127.0.0.1"),
  /** Wait after a partial batch, so the next carries more events (see outbox-relay.ts). */
  RELAY_GATHER_MS: z.coerce.number().int().min(0).max(1000).default(10),
  /** Optional: serve GET /metrics on this port (127.0.0.1). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The metrics-scrape credential /metrics accepts. */
  CELLPAY_METRICS_TOKEN: z.string().min(16).optional(),
});

function parseEnv(env: Record<string, string | undefined>) {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`relay configuration is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}

const env = parseEnv(process.env);
const logger = createLogger({ service: "relay", cellId: env.CELLPAY_CELL_ID, level: env.LOG_LEVEL });
guardKnownLibraryFaults((err) =>
  logger.warn({ err: err.message }, "postgres driver late write after a dropped connection (ignored)"),
);
try {
  const database = createDb(env.DATABASE_URL, { max: 4, applicationName: `relay-${env.CELLPAY_CELL_ID}` });
  const nc = await connect({
    servers: env.NATS_URL,
    name: `relay-${env.CELLPAY_CELL_ID}`,
    maxReconnectAttempts: -1,
    // Without it every publish/request builds an Error up front for its async stack trace: 15-20%
    // of the relay's CPU under load (NatsError and BaseRequest in its profile). Errors still say
    // what failed; they lose only the line that started the request.
    noAsyncTraces: true,
    ...natsConnectAuth(natsClientAuthFromEnv(env)),
  });
  const relay = new OutboxRelay({
    cellId: env.CELLPAY_CELL_ID,
    sql: database.sql,
    js: nc.jetstream(),
    jsm: await nc.jetstreamManager(),
    log: logger,
    streamReplicas: env.CELLPAY_NATS_STREAM_REPLICAS,
    batchSize: env.RELAY_BATCH_SIZE,
    idleMs: env.RELAY_IDLE_MS,
    gatherMs: env.RELAY_GATHER_MS,
    ...(env.RELAY_WAKE_PORT === undefined
      ? {}
      : { wakePort: env.RELAY_WAKE_PORT, wakeHost: env.RELAY_WAKE_HOST }),
  });
  await relay.start();
  // A NATS that comes back may have lost its store (streams and all): make them again at once.
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "reconnect") await relay.recreateStreams();
    }
  })();
  const metrics =
    env.METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer(createRelayTelemetry(env.CELLPAY_CELL_ID, database.sql, relay.stats), {
          port: env.METRICS_PORT,
          token: env.CELLPAY_METRICS_TOKEN,
          log: logger,
        });
  // platform/worker-process.ts waits for this line, so it is written whatever LOG_LEVEL hides.
  logger.child({}, { level: "info" }).info({ pid: process.pid }, "ready");
  onShutdownSignal(logger, async () => {
    await metrics?.close();
    await relay.stop();
    logger.info(relay.stats, "relay stopped");
    await nc.drain();
    await database.end();
  });
} catch (err) {
  logger.fatal({ err: (err as Error).message }, "relay failed to start");
  process.exit(1);
}
