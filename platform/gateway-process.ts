// Starts one gateway instance of a cell as its own process and waits until both its listeners
// answer: the public one (the routers' target) and the internal one (the control plane's).
import { freePort } from "./free-port.ts";
import type { ManagedProcess } from "./managed-process.ts";
import { startNodeProcess } from "./node-process.ts";

export async function startGatewayProcess(opts: {
  cellId: string;
  index: number;
  port: number;
  /** The internal listener's port; a free one when the caller never calls the internal API. */
  internalPort?: number;
  databaseUrl: string;
  redisUrl?: string;
  masterKeyFile: string;
  /** The credentials this gateway accepts: cell-admin (internal API), metrics scrape, and the
   * move-capability verification key. */
  credentials?: { cellAdminToken: string; metricsToken: string; moveVerifyKey: string };
  logFile: string;
  env?: Record<string, string>;
  /** How long to wait for both listeners (default 30 s; a loaded machine may need more). */
  readyTimeoutMs?: number;
}): Promise<ManagedProcess> {
  const internalPort = opts.internalPort ?? (await freePort());
  const health = [`http://127.0.0.1:${opts.port}/healthz`, `http://127.0.0.1:${internalPort}/healthz`];
  return startNodeProcess({
    name: `${opts.cellId}-gateway-${opts.index}`,
    entry: "cell/gateway/main.ts",
    logFile: opts.logFile,
    env: {
      PORT: String(opts.port),
      INTERNAL_PORT: String(internalPort),
      CELLPAY_CELL_ID: opts.cellId,
      DATABASE_URL: opts.databaseUrl,
      CELLPAY_MASTER_KEY_FILE: opts.masterKeyFile,
      ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
      ...(opts.credentials
        ? {
            CELLPAY_CELL_ADMIN_TOKEN: opts.credentials.cellAdminToken,
            CELLPAY_METRICS_TOKEN: opts.credentials.metricsToken,
            CELLPAY_MOVE_VERIFY_KEY: opts.credentials.moveVerifyKey,
          }
        : {}),
      ...opts.env,
    },
    ...(opts.readyTimeoutMs !== undefined ? { timeoutMs: opts.readyTimeoutMs } : {}),
    ready: {
      what: `on ports ${opts.port} (public) and ${internalPort} (internal)`,
      probe: async () => {
        for (const url of health) {
          const res = await fetch(url);
          if (!res.ok) throw new Error(`${url}: status ${res.status}`);
        }
      },
    },
  });
}
