// Starts one real etcd (3.4) member: the store Patroni keeps a cell's leader lock in.
// One node locally; in production it is 3 members on separate machines (a single etcd is itself
// a single point of failure for the failover decision, though not for the running primary's data).
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { assertPortFree } from "./free-port.ts";
import { describeExit, type ExitInfo, ManagedProcess } from "./managed-process.ts";
import { waitFor } from "./wait-for.ts";

export interface StartEtcdOptions {
  bin: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
  logFile: string;
  name?: string;
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

export interface EtcdServer {
  /** host:port of the client endpoint, as Patroni's `etcd3.hosts` wants it. */
  endpoint: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startEtcd(opts: StartEtcdOptions): Promise<EtcdServer> {
  const dataDir = resolve(opts.dataDir);
  const name = opts.name ?? "etcd";
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await assertPortFree(opts.clientPort, name);
  await assertPortFree(opts.peerPort, `${name} peer`);
  const client = `http://127.0.0.1:${opts.clientPort}`;
  const peer = `http://127.0.0.1:${opts.peerPort}`;
  const proc = await ManagedProcess.start({
    name,
    command: opts.bin,
    args: [
      "--name",
      name,
      "--data-dir",
      dataDir,
      "--listen-client-urls",
      client,
      "--advertise-client-urls",
      client,
      "--listen-peer-urls",
      peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      `${name}=${peer}`,
      // Ignored once the data dir holds a member: a restart keeps the cluster and its keys.
      "--initial-cluster-state",
      "new",
      "--log-level",
      "warn",
    ],
    logFile: opts.logFile,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ETCD_UNSUPPORTED_ARCH: process.arch },
    detached: true, // outlives a Ctrl-C until the Patroni nodes have released their locks
    ...(opts.onUnexpectedExit !== undefined ? { onUnexpectedExit: opts.onUnexpectedExit } : {}),
  });
  const stop = async () => {
    await proc.stop("SIGTERM", 10_000);
  };
  try {
    await waitFor(() => healthy(client), {
      what: `${name} on 127.0.0.1:${opts.clientPort}`,
      timeoutMs: 30_000,
      logFile: opts.logFile,
      giveUpIf: () => (proc.exit !== undefined ? `etcd ${describeExit(proc.exit)}` : undefined),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint: `127.0.0.1:${opts.clientPort}`, process: proc, stop };
}

async function healthy(client: string): Promise<void> {
  const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { health?: string };
  if (body.health !== "true") throw new Error(`etcd not healthy yet: ${JSON.stringify(body)}`);
}
