// Starts one gateway instance of a cell as its own process and waits for its health check.

import { startHttpServiceProcess } from "./http-service-process.ts";
import type { ManagedProcess } from "./managed-process.ts";

export function startGatewayProcess(opts: {
  cellId: string;
  index: number;
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  masterKeyFile: string;
  internalToken?: string;
  logFile: string;
  env?: Record<string, string>;
}): Promise<ManagedProcess> {
  return startHttpServiceProcess({
    name: `${opts.cellId}-gateway-${opts.index}`,
    entry: "cell/gateway/main.ts",
    port: opts.port,
    logFile: opts.logFile,
    env: {
      CELLPAY_CELL_ID: opts.cellId,
      DATABASE_URL: opts.databaseUrl,
      CELLPAY_MASTER_KEY_FILE: opts.masterKeyFile,
      ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
      ...(opts.internalToken ? { CELLPAY_INTERNAL_TOKEN: opts.internalToken } : {}),
      ...opts.env,
    },
  });
}
