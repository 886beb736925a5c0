// Starts a JetStream cluster of N nats-servers (cells.yaml `nats: { replicas: 3 }`): each node its
// own client port, route port and store folder, routes to every other node, JetStream on each.
// Ready once every node answers JetStream requests, which needs an elected meta leader.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureNatsUsers, type NatsUser } from "./nats-credentials.ts";
import { type NatsServer, type StartNatsOptions, startNats } from "./nats-server.ts";

export interface NatsClusterLayout {
  /** Client ports, one per node. */
  clientPorts: number[];
  /** Route (cluster) ports, one per node. */
  routePorts: number[];
}

/** cells.yaml's shape: client ports port..port+n-1, route ports port+n..port+2n-1. */
export function localNatsClusterLayout(port: number, replicas: number): NatsClusterLayout {
  const ports = (from: number) => Array.from({ length: replicas }, (_, i) => from + i);
  return { clientPorts: ports(port), routePorts: ports(port + replicas) };
}

export interface StartNatsClusterOptions<R extends string>
  extends Omit<StartNatsOptions<R>, "port" | "dataDir" | "logFile" | "extraConfig" | "configFileName"> {
  layout: NatsClusterLayout;
  /** Node i stores its streams in `<dataDir>/node-<i>` and logs to `<logDir>/nats-<i>.log`. */
  dataDir: string;
  logDir: string;
  name: string;
}

export interface NatsCluster<R extends string = string> {
  /** Every node's client URL, comma-separated (what NATS_URL carries; see shared/config/nats-servers.ts). */
  url: string;
  users: Record<R | "operator", NatsUser>;
  nodes: NatsServer<R>[];
  /** The node whose server_name is given (stream info names its leader that way). */
  node(serverName: string): NatsServer<R> | undefined;
  /**
   * Starts a node that has exited (killed by a failure test) again on its ports and store, and
   * waits until it answers JetStream requests; `nodes` and stop() then hold the new process.
   */
  restart(serverName: string): Promise<NatsServer<R>>;
  stop(): Promise<void>;
}

export async function startNatsCluster<R extends string>(
  opts: StartNatsClusterOptions<R>,
): Promise<NatsCluster<R>> {
  const n = opts.layout.clientPorts.length;
  if (n < 3 || n % 2 === 0) throw new Error(`${opts.name}: a JetStream cluster needs 3 or 5 nodes, not ${n}`);
  const dataDir = resolve(opts.dataDir);
  const credentialsDir = resolve(opts.credentialsDir ?? `${dataDir}-credentials`);
  // Made once here: the nodes starting together would otherwise race to create the same seed files.
  await ensureNatsUsers(credentialsDir, opts.permissions);
  const routePassword = await ensureRoutePassword(credentialsDir);
  const nodeName = (i: number) => `${opts.name}-${i}`;
  const startNode = async (i: number) => {
    await mkdir(join(dataDir, `node-${i}`), { recursive: true });
    return startNats({
      ...opts,
      credentialsDir,
      name: nodeName(i),
      port: opts.layout.clientPorts[i]!,
      dataDir: join(dataDir, `node-${i}`),
      logFile: join(opts.logDir, `nats-${i}.log`),
      configFileName: `nats-server-${i}.conf`,
      extraConfig: clusterBlock(opts.name, opts.layout.routePorts, i, routePassword),
    });
  };
  const started = await Promise.allSettled(opts.layout.clientPorts.map((_, i) => startNode(i)));
  const nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const failed = started.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  return {
    url: nodes.map((node) => node.url).join(","),
    users: nodes[0]!.users,
    nodes,
    node: (serverName) => nodes.find((_, i) => nodeName(i) === serverName),
    async restart(serverName) {
      const i = nodes.findIndex((_, j) => nodeName(j) === serverName);
      if (i < 0) throw new Error(`${opts.name}: no node ${serverName}`);
      if (nodes[i]!.process.running)
        throw new Error(`${serverName} is still running (pid ${nodes[i]!.process.pid})`);
      nodes[i] = await startNode(i);
      return nodes[i]!;
    },
    stop,
  };
}

/**
 * The cluster block of node `self`. Routes authenticate with a password of their own: a route is
 * not a client and is not held to any role's permissions, so an open route port would let anyone
 * on the network read and write every subject. Routes stay on 127.0.0.1 locally, without TLS.
 */
function clusterBlock(name: string, routePorts: number[], self: number, password: string): string {
  const routes = routePorts
    .filter((_, i) => i !== self)
    .map((p) => JSON.stringify(`nats-route://route:${password}@127.0.0.1:${p}`));
  return [
    "cluster {",
    `  name: ${JSON.stringify(name)}`,
    `  listen: "127.0.0.1:${routePorts[self]}"`,
    `  authorization { user: "route", password: ${JSON.stringify(password)} }`,
    `  routes: [${routes.join(", ")}]`,
    "}",
    "",
  ].join("\n");
}

async function ensureRoutePassword(dir: string): Promise<string> {
  const file = join(dir, "route.password");
  if (!existsSync(file)) await writeFile(file, randomBytes(24).toString("hex"), { mode: 0o600, flag: "wx" });
  return (await readFile(file, "utf8")).trim();
}
