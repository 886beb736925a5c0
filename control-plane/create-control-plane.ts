// Builds a running control plane from its configuration: database (migrated), NATS, the bootstrap
// admin token, the app, the HTTP server and the cell health checker. main.ts calls it with the real
// environment; tests call it with the servers they started.
import { serve } from "@hono/node-server";
import { connect } from "nats";
import { loadSigningKey } from "../shared/cell-api/move-capability.ts";
import type { Logger } from "../shared/logger.ts";
import { natsClientAuthFromEnv, natsConnectAuth } from "../shared/nats-auth.ts";
import { ensureBootstrapToken } from "./admin-tokens/admin-tokens.ts";
import { createControlPlaneApp } from "./app.ts";
import { createCellClients } from "./cells/cell-clients.ts";
import { startHealthChecker } from "./cells/health-checker.ts";
import type { ControlPlaneEnv } from "./config.ts";
import { createControlPlaneDb } from "./db/client.ts";
import { migrateControlPlaneDatabase } from "./db/migrate.ts";
import type { ControlPlaneDeps } from "./deps.ts";
import { Monitor } from "./monitoring/monitor.ts";
import { monitorOptionsFromEnv } from "./monitoring/monitor-options.ts";
import { createMoveCapabilities } from "./moves/move-capabilities.ts";
import { rollBackUnfinishedMoves, startMoveMaintenance } from "./moves/move-maintenance.ts";
import { loadRoutingSigningKey } from "./routing/routing-signing-key.ts";

export interface RunningControlPlane {
  url: string;
  deps: ControlPlaneDeps;
  close(): Promise<void>;
}

export async function startControlPlane(env: ControlPlaneEnv, logger: Logger): Promise<RunningControlPlane> {
  await migrateControlPlaneDatabase(env.DATABASE_URL);
  const signing = loadRoutingSigningKey(env.ROUTING_SIGNING_KEY_FILE);
  const database = createControlPlaneDb(env.DATABASE_URL);
  // NATS carries routing deltas only; routers also resync over HTTP, so keep going while it is down.
  const nats = await connect({
    servers: env.NATS_URL,
    name: "control-plane",
    waitOnFirstConnect: true,
    reconnect: true,
    maxReconnectAttempts: -1,
    ...natsConnectAuth(natsClientAuthFromEnv(env)),
  });
  const deps: ControlPlaneDeps = {
    db: database.db,
    nats: { connection: nats, signingKey: signing.privateKey },
    logger,
    cellClients: createCellClients({ token: env.CELLPAY_CELL_ADMIN_TOKEN, timeoutMs: env.CELL_TIMEOUT_MS }),
    credentials: {
      cellAdmin: env.CELLPAY_CELL_ADMIN_TOKEN,
      routerTable: env.CELLPAY_ROUTER_TABLE_TOKEN,
      metrics: env.CELLPAY_METRICS_TOKEN,
    },
    moveCapabilities: createMoveCapabilities(loadSigningKey(env.CELLPAY_MOVE_SIGNING_KEY), () => new Date()),
    clock: () => new Date(),
    random: Math.random,
    ...(env.CELLPAY_BACKUP_DIR !== undefined ? { backupDir: env.CELLPAY_BACKUP_DIR } : {}),
  };
  try {
    await ensureBootstrapToken(deps.db, env.CELLPAY_BOOTSTRAP_TOKEN, deps.clock());
  } catch (err) {
    await nats.close();
    await database.end();
    throw err;
  }
  deps.monitor = new Monitor(deps, monitorOptionsFromEnv(env));
  const app = createControlPlaneApp(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, () => resolve(s));
    s.once("error", reject);
  });
  const health = startHealthChecker(deps, env.HEALTH_CHECK_INTERVAL_MS);
  // Moves a previous process left unfinished are rolled back before anything else can start one.
  await rollBackUnfinishedMoves(deps).catch((err: unknown) =>
    logger.error({ err: (err as Error).message }, "rolling back unfinished moves failed"),
  );
  const moveMaintenance = startMoveMaintenance(deps);
  deps.monitor.start();
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.PORT;
  return {
    url: `http://${env.HOST}:${port}`,
    deps,
    async close() {
      await health.stop();
      await deps.monitor?.stop();
      moveMaintenance.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => {
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        }, 5000).unref();
      });
      await nats.drain().catch(() => nats.close());
      await database.end();
    },
  };
}
