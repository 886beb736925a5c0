// Builds a running router from its configuration: routing table store, cell pools, health
// checks, HTTP(S) server. main.ts calls it with the real environment; tests and the bench call it too.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { answerClientError } from "../shared/http/client-error.ts";
import type { Logger } from "../shared/logger.ts";
import { natsClientAuthFromEnv } from "../shared/nats-auth.ts";
import { createRouterApp } from "./app.ts";
import { CellPools } from "./cell-pool.ts";
import type { RouterEnv } from "./config.ts";
import { startHealthChecks } from "./health-checker.ts";
import { createRouterTelemetry } from "./metrics.ts";
import { RoutingTableStore } from "./routing-table-store.ts";
import { createRoutingVerifier } from "./routing-verifier.ts";
import { createTransportSecurity, hstsHeader } from "./transport-security.ts";

export interface RunningRouter {
  url: string;
  store: RoutingTableStore;
  /** Re-reads the certificate and key files (rotation without a restart); no-op without TLS. */
  reloadTls(): void;
  close(): Promise<void>;
}

/** The cell's body limit (cell/gateway/middleware/json-body.ts), duplicated: the router must not import the cell. */
const CELL_MAX_BODY_BYTES = 64 * 1024;

export async function startRouter(env: RouterEnv, logger: Logger): Promise<RunningRouter> {
  const store = new RoutingTableStore(
    {
      controlPlaneUrl: env.CONTROL_PLANE_URL,
      controlPlaneNatsUrl: env.CONTROL_PLANE_NATS_URL,
      natsAuth: natsClientAuthFromEnv(env, "CONTROL_PLANE_NATS_"),
      verifier: createRoutingVerifier({
        // parseRouterEnv makes sure one of the two is set.
        publicKey: (env.ROUTING_PUBLIC_KEY ?? env.ROUTING_PUBLIC_KEY_FILE)!,
        allowlist: env.ROUTER_GATEWAY_ALLOWLIST,
      }),
      internalToken: env.CELLPAY_ROUTER_TABLE_TOKEN,
      snapshotFile: env.ROUTER_SNAPSHOT_FILE,
      resyncIntervalMs: env.RESYNC_INTERVAL_MS,
      fetchTimeoutMs: 2_000,
      snapshotDebounceMs: 200,
    },
    logger,
  );
  const cells = new CellPools(
    {
      connectTimeoutMs: env.CONNECT_TIMEOUT_MS,
      connections: env.UPSTREAM_CONNECTIONS,
      breakerThreshold: env.BREAKER_THRESHOLD,
      breakerCoolDownMs: env.BREAKER_COOL_DOWN_MS,
      now: Date.now,
    },
    logger,
  );
  // Registered before start() so the snapshot and the first fetch already shape the pools.
  store.onChange((table) => cells.sync(table.cells));
  await store.start();
  const health = startHealthChecks(cells, { intervalMs: env.HEALTH_CHECK_INTERVAL_MS, timeoutMs: 1_000 });

  const app = createRouterApp({
    store,
    cells,
    logger,
    telemetry: createRouterTelemetry({
      instance: `${env.HOST}:${env.PORT}`,
      cells,
      store,
      metricsToken: env.CELLPAY_METRICS_TOKEN,
    }),
    config: {
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      holdMaxMs: env.HOLD_MAX_MS,
      maxBodyBytes: CELL_MAX_BODY_BYTES,
      maxAttempts: 3,
      partnerErrors: {
        threshold: env.PARTNER_ERROR_THRESHOLD,
        windowMs: env.PARTNER_ERROR_WINDOW_MS,
        throttleMs: env.PARTNER_THROTTLE_MS,
      },
    },
    transportSecurity: createTransportSecurity({ trustedProxies: env.ROUTER_TRUSTED_PROXIES }),
  });
  const tls = tlsFiles(env);
  const hsts = hstsHeader(env.ROUTER_HSTS_MAX_AGE_S);
  const secure = tls
    ? createTlsServer({ keepAliveTimeout: 65_000, ...tls.read() }, (req, res) => {
        res.setHeader("strict-transport-security", hsts);
        app(req, res);
      })
    : undefined;
  const server: Server = secure ?? createServer({ keepAliveTimeout: 65_000 }, app);
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.PORT;
  logger.info({ port, tls: !!tls, version: store.table.version, ready: store.ready }, "router listening");

  return {
    url: `${tls ? "https" : "http"}://${env.HOST}:${port}`,
    store,
    reloadTls() {
      if (!tls || !secure) return;
      // New connections get the new certificate; open ones keep theirs until they close.
      secure.setSecureContext(tls.read());
      logger.info({ cert: env.ROUTER_TLS_CERT_FILE }, "router TLS certificate reloaded");
    },
    async close() {
      health.stop();
      await closeServer(server);
      await store.close();
      await cells.close();
    },
  };
}

function tlsFiles(env: RouterEnv) {
  const { ROUTER_TLS_CERT_FILE: certFile, ROUTER_TLS_KEY_FILE: keyFile } = env;
  if (!certFile || !keyFile) return undefined;
  return { read: () => ({ cert: readFileSync(certFile), key: readFileSync(keyFile) }) };
}

/** Stops taking connections and lets in-flight requests (held ones included) finish, for at most 12 s. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 12_000).unref();
  });
}
