// Starts one real NATS server with JetStream, storing streams under dataDir. It never runs open:
// every client authenticates with an NKey of one of the roles given, limited to that role's
// subjects (platform/nats-credentials.ts), and TLS is used when given.
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { connect } from "nats";
import { natsConnectAuth } from "../shared/nats-auth.ts";
import { assertPortFree } from "./free-port.ts";
import { describeExit, type ExitInfo, ManagedProcess } from "./managed-process.ts";
import {
  ensureNatsUsers,
  type NatsPermissions,
  type NatsServerTls,
  type NatsUser,
  natsServerConfig,
} from "./nats-credentials.ts";
import { waitFor } from "./wait-for.ts";

export interface StartNatsOptions<R extends string> {
  /** The roles allowed in, with their subjects; "operator" is the launcher's (readiness probe). */
  permissions: Record<R | "operator", NatsPermissions>;
  /** Where the roles' seeds live (made once, 0600) and the server config is written; default beside dataDir. */
  credentialsDir?: string;
  /** TLS; serverCaFile is the CA that signed the server certificate (what the probe trusts). */
  tls?: NatsServerTls & { serverCaFile?: string };
  /** Path to nats-server. */
  bin: string;
  dataDir: string;
  port: number;
  logFile: string;
  name?: string;
  /** Appended to the generated config (the cluster block of a JetStream cluster: nats-cluster.ts). */
  extraConfig?: string;
  /** The config file's name in credentialsDir (each node of a cluster writes its own). */
  configFileName?: string;
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

export interface NatsServer<R extends string = string> {
  /** nats://127.0.0.1:PORT (with TLS on, clients add their tls options) */
  url: string;
  /** Each role's credential, to hand to the process that plays it. */
  users: Record<R | "operator", NatsUser>;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startNats<R extends string>(opts: StartNatsOptions<R>): Promise<NatsServer<R>> {
  const dataDir = resolve(opts.dataDir);
  const name = opts.name ?? "nats";
  await mkdir(dataDir, { recursive: true });
  await assertPortFree(opts.port, name);
  const credentialsDir = resolve(opts.credentialsDir ?? `${dataDir}-credentials`);
  const users = await ensureNatsUsers(credentialsDir, opts.permissions);
  const configFile = join(credentialsDir, opts.configFileName ?? "nats-server.conf");
  // Rewritten every start: the permissions come from code, the keys from the seed files.
  const config = natsServerConfig(Object.values<NatsUser>(users), opts.tls) + (opts.extraConfig ?? "");
  await writeFile(configFile, config, { mode: 0o600 });
  const url = `nats://127.0.0.1:${opts.port}`;
  const probeAuth = {
    seed: users.operator.seed,
    ...(opts.tls ? { tls: { caFile: opts.tls.serverCaFile } } : {}),
  };
  const proc = await ManagedProcess.start({
    name,
    command: opts.bin,
    // No monitoring port: readiness is proven with a real client below.
    args: ["-c", configFile, "-js", "-a", "127.0.0.1", "-p", String(opts.port), "-sd", dataDir, "-n", name],
    logFile: opts.logFile,
    // SIGINT and SIGTERM both shut JetStream down cleanly, but nats-server 2.9 exits 1 on SIGTERM.
    stopSignal: "SIGINT",
    ...(opts.onUnexpectedExit !== undefined ? { onUnexpectedExit: opts.onUnexpectedExit } : {}),
  });
  const stop = async () => {
    await proc.stop("SIGINT", 10_000);
  };

  try {
    await waitFor(() => jetStreamAnswers(url, name, probeAuth), {
      what: `${name} JetStream on 127.0.0.1:${opts.port}`,
      timeoutMs: 30_000, // JetStream recovers every stream from disk before it answers
      logFile: opts.logFile,
      giveUpIf: () => (proc.exit !== undefined ? `nats-server ${describeExit(proc.exit)}` : undefined),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, users, process: proc, stop };
}

async function jetStreamAnswers(
  url: string,
  serverName: string,
  auth: Parameters<typeof natsConnectAuth>[0],
): Promise<void> {
  // Accepting TCP is not enough: JetStream may still be recovering, so ask it for account info.
  const nc = await connect({ servers: url, reconnect: false, timeout: 2_000, ...natsConnectAuth(auth) });
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
