// Starts one real NATS server with JetStream for a cell, storing streams under dataDir.
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { connect } from "nats";
import { assertPortFree } from "./free-port.ts";
import { describeExit, type ExitInfo, ManagedProcess } from "./managed-process.ts";
import { waitFor } from "./wait-for.ts";

export interface StartNatsOptions {
  /** Path to nats-server. */
  bin: string;
  dataDir: string;
  port: number;
  logFile: string;
  name?: string;
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startNats(opts: StartNatsOptions): Promise<NatsServer> {
  const dataDir = resolve(opts.dataDir);
  const name = opts.name ?? "nats";
  await mkdir(dataDir, { recursive: true });
  await assertPortFree(opts.port, name);
  const url = `nats://127.0.0.1:${opts.port}`;
  const proc = await ManagedProcess.start({
    name,
    command: opts.bin,
    // No monitoring port: readiness is proven with a real client below.
    args: ["-js", "-a", "127.0.0.1", "-p", String(opts.port), "-sd", dataDir, "-n", name],
    logFile: opts.logFile,
    // SIGINT and SIGTERM both shut JetStream down cleanly, but nats-server 2.9 exits 1 on SIGTERM.
    stopSignal: "SIGINT",
    ...(opts.onUnexpectedExit !== undefined ? { onUnexpectedExit: opts.onUnexpectedExit } : {}),
  });
  const stop = async () => {
    await proc.stop("SIGINT", 10_000);
  };

  try {
    await waitFor(() => jetStreamAnswers(url, name), {
      what: `${name} JetStream on 127.0.0.1:${opts.port}`,
      timeoutMs: 30_000, // JetStream recovers every stream from disk before it answers
      logFile: opts.logFile,
      giveUpIf: () => (proc.exit !== undefined ? `nats-server ${describeExit(proc.exit)}` : undefined),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, process: proc, stop };
}

async function jetStreamAnswers(url: string, serverName: string): Promise<void> {
  // Accepting TCP is not enough: JetStream may still be recovering, so ask it for account info.
  const nc = await connect({ servers: url, reconnect: false, timeout: 2_000 });
  try {
    // We started it with `-n serverName`; any other name means another server holds the port.
    const answered = nc.info?.server_name;
    if (answered !== serverName) throw new Error(`${url} is served by another nats-server (${answered})`);
    const jsm = await nc.jetstreamManager({ timeout: 2_000 });
    await jsm.getAccountInfo();
  } finally {
    await nc.close();
  }
}
