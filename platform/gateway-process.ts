// Starts one gateway instance as its own Node process (the same entry point production runs)
// and waits until it answers its health check.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManagedProcess } from "./managed-process.ts";
import { waitFor } from "./wait-for.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function startGatewayProcess(opts: {
  cellId: string;
  index: number;
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  masterKeyFile: string;
  logFile: string;
  env?: Record<string, string>;
}): Promise<ManagedProcess> {
  const proc = await ManagedProcess.start({
    name: `${opts.cellId}-gateway-${opts.index}`,
    command: process.execPath,
    args: ["--import", "tsx", join(root, "cell/gateway/main.ts")],
    cwd: root,
    logFile: opts.logFile,
    stopSignal: "SIGTERM",
    env: {
      ...process.env,
      CELLPAY_CELL_ID: opts.cellId,
      PORT: String(opts.port),
      DATABASE_URL: opts.databaseUrl,
      ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
      CELLPAY_MASTER_KEY_FILE: opts.masterKeyFile,
      ...opts.env,
    },
    onUnexpectedExit: (p, info) =>
      console.error(
        `${p.name} (pid ${p.pid}) exited unexpectedly (${info.signal ?? info.code}); see ${p.logFile}`,
      ),
  });
  const url = `http://127.0.0.1:${opts.port}/healthz`;
  try {
    await waitFor(
      async () => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`status ${res.status}`);
        return true;
      },
      {
        what: `${proc.name} on port ${opts.port}`,
        timeoutMs: 30_000,
        logFile: opts.logFile,
        giveUpIf: () => (proc.running ? undefined : "the process exited"),
      },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}
