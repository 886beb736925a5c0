// A real cell with its event pipeline as separate processes, for the events e2e suite and the
// throughput bench: Postgres/Redis/NATS (the launcher's code), one gateway, one relay and N
// processors, each its own Node process that a test can SIGKILL by pid and start again.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import postgres from "postgres";
import { createDb } from "../cell/db/client.ts";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import { provisionPartner } from "../cell/partners/provision.ts";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";
import { type CellInfra, startTestCellInfra } from "../platform/cell-infra.ts";
import { freePort } from "../platform/free-port.ts";
import { startGatewayProcess } from "../platform/gateway-process.ts";
import type { ManagedProcess } from "../platform/managed-process.ts";
import { startWorkerProcess } from "../platform/worker-process.ts";
import { natsServers } from "../shared/config/nats-servers.ts";
import { natsConnectAuth } from "../shared/nats-auth.ts";

export interface EventsCell {
  cellId: string;
  infra: CellInfra;
  sql: postgres.Sql;
  nc: NatsConnection;
  gatewayUrl: string;
  /** The gateway's internal listener (/internal/v1), for the cell-admin credential given. */
  internalUrl: string;
  /** host:port where the relays take wake-ups (the gateway sends one after each commit). */
  wakeAddress: string;
  /** The gateway's process (a test can check it was never restarted). */
  gateway: ManagedProcess;
  /** Starts one more relay or processor process (env: extra variables for this one). */
  worker(kind: "relay" | "processor", index?: number, env?: Record<string, string>): Promise<ManagedProcess>;
  partner(name: string): Promise<{ partnerId: string; apiKey: string }>;
  stop(): Promise<void>;
}

export interface EventsCellOptions {
  cellId?: string;
  workerEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
  /** 3 or 5: the cell's NATS is a JetStream cluster and the relay makes its streams with that many copies. */
  natsReplicas?: number;
}

export async function startEventsCell(opts: EventsCellOptions = {}) {
  const cellId = opts.cellId ?? "cell-test";
  const natsReplicas = opts.natsReplicas ?? 1;
  const infra = await startTestCellInfra(cellId, { natsReplicas });
  const procs: ManagedProcess[] = [];
  let runs = 0;
  await migrateCellDatabase(infra.postgresUrl);
  const masterKeyFile = join(infra.dataDir, "master.key");
  await writeFile(masterKeyFile, generateMasterKeyBase64(), { mode: 0o600 });
  const sql = postgres(infra.postgresUrl, { max: 4, onnotice: () => {} });
  // The tests' own view of the cell's NATS: the operator's credential (no service holds it).
  const nc = await connect({
    // Every node of a cluster: the test's view outlives the node a failure test kills.
    servers: natsServers(infra.natsUrl),
    maxReconnectAttempts: -1,
    ...natsConnectAuth({ seed: infra.natsUsers.operator.seed }),
  });
  const port = await freePort();
  const internalPort = await freePort();
  // A UDP port: freePort finds a free TCP port, and nothing else here binds UDP.
  const wakePort = await freePort();
  const wakeAddress = `127.0.0.1:${wakePort}`;
  const gateway = await startGatewayProcess({
    cellId,
    index: 0,
    port,
    internalPort,
    databaseUrl: infra.postgresUrl,
    masterKeyFile,
    logFile: join(infra.dataDir, "logs", "gateway.log"),
    env: {
      LOG_LEVEL: "warn",
      REDIS_URL: infra.redisUrl,
      RATE_LIMIT_RATE: "5000",
      RATE_LIMIT_BURST: "5000",
      // These suites decline cards on purpose, by the hundred; card testing has its own suite.
      CARD_TESTING_MAX_DECLINES: "1000000",
      WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
      ...opts.gatewayEnv,
      OUTBOX_WAKE_ADDRESS: wakeAddress,
    },
  });
  procs.push(gateway);
  const cell: EventsCell = {
    cellId,
    infra,
    sql,
    nc,
    gatewayUrl: `http://127.0.0.1:${port}`,
    internalUrl: `http://127.0.0.1:${internalPort}`,
    wakeAddress,
    gateway,
    async worker(kind, index = 0, env = {}) {
      const proc = await startWorkerProcess({
        name: `${cellId}-${kind}-${index}`,
        entry: kind === "relay" ? "cell/events/relay/main.ts" : "cell/events/processors/main.ts",
        env: {
          CELLPAY_CELL_ID: cellId,
          DATABASE_URL: infra.postgresUrl,
          NATS_URL: infra.natsUrl,
          NATS_NKEY_SEED_FILE: infra.natsUsers[kind].seedFile,
          CELLPAY_MASTER_KEY_FILE: masterKeyFile,
          LOG_LEVEL: "info",
          WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
          ...(kind === "relay" ? { RELAY_WAKE_PORT: String(wakePort) } : {}),
          // As platform/start.ts passes it: the relay makes the streams with one copy per node.
          CELLPAY_NATS_STREAM_REPLICAS: String(natsReplicas),
          ...opts.workerEnv,
          ...env,
        },
        logFile: join(infra.dataDir, "logs", `${kind}-${index}-run-${++runs}.log`),
      });
      procs.push(proc);
      return proc;
    },
    async partner(name) {
      const admin = createDb(infra.postgresUrl, { max: 1 });
      try {
        return await provisionPartner(admin.db, { name });
      } finally {
        await admin.end();
      }
    },
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
      await nc.close();
      await sql.end();
      await infra.stop();
    },
  };
  return cell;
}

/** The first row's `n` of a count query, as a number. */
export const count = async (query: postgres.PendingQuery<postgres.Row[]>) => Number((await query)[0]!.n);

/** Polls until `done` holds, up to a generous bound. */
export async function eventually(
  what: string,
  done: () => Promise<boolean>,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
