// Starts one real Redis server for a cell: append-only file fsynced every second, no RDB
// snapshots, bound to 127.0.0.1 only.
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { Redis } from "ioredis";
import { assertPortFree } from "./free-port.ts";
import { describeExit, type ExitInfo, ManagedProcess } from "./managed-process.ts";
import { waitFor } from "./wait-for.ts";

export interface StartRedisOptions {
  /** Path to redis-server. */
  bin: string;
  dataDir: string;
  port: number;
  logFile: string;
  name?: string;
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startRedis(opts: StartRedisOptions): Promise<RedisServer> {
  const dataDir = resolve(opts.dataDir);
  const name = opts.name ?? "redis";
  await mkdir(dataDir, { recursive: true });
  await assertPortFree(opts.port, name);
  const proc = await ManagedProcess.start({
    name,
    command: opts.bin,
    args: [
      "--port",
      String(opts.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dataDir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
      "--daemonize",
      "no",
      "--protected-mode",
      "yes",
    ],
    logFile: opts.logFile,
    // Redis treats SIGTERM as SHUTDOWN: it flushes the append-only file before exiting.
    stopSignal: "SIGTERM",
    ...(opts.onUnexpectedExit !== undefined ? { onUnexpectedExit: opts.onUnexpectedExit } : {}),
  });
  const stop = async () => {
    await proc.stop("SIGTERM", 10_000);
  };

  try {
    await waitFor(() => ping(opts.port, proc.pid), {
      what: `${name} to answer PING on 127.0.0.1:${opts.port}`,
      timeoutMs: 30_000, // replaying a large append-only file takes a while
      logFile: opts.logFile,
      giveUpIf: () => (proc.exit !== undefined ? `redis-server ${describeExit(proc.exit)}` : undefined),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${opts.port}`, process: proc, stop };
}

async function ping(port: number, expectedPid: number): Promise<void> {
  // One attempt per probe: waitFor does the retrying, so ioredis must not reconnect on its own.
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
  });
  client.on("error", () => {}); // failures surface through connect()/ping() below
  try {
    await client.connect();
    // While loading the append-only file Redis answers LOADING errors, which reject here.
    const answer = await client.ping();
    if (answer !== "PONG") throw new Error(`unexpected PING answer ${answer}`);
    // Make sure the answer came from the process we started, not another Redis on the port.
    const pid = /process_id:(\d+)/.exec(await client.info("server"))?.[1];
    if (Number(pid) !== expectedPid) throw new Error(`port ${port} is served by another redis (pid ${pid})`);
  } finally {
    client.disconnect();
  }
}
