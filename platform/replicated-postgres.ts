// A cell's replicated Postgres: its own etcd (the leader lock) plus a Patroni cluster.
// One etcd per cell, not one per platform: if a shared etcd lost quorum, Patroni would demote the
// primary of every cell at once, so a shared store would make one failure domain of all cells.
import { access, mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { ensureHaBinaries } from "./binaries.ts";
import { startEtcd } from "./etcd-server.ts";
import type { ExitInfo, ManagedProcess } from "./managed-process.ts";
import { type PatroniCluster, startPatroniCluster } from "./patroni-cluster.ts";

/** Where a replicated Postgres listens: node i on postgresPorts[i] (REST on restPorts[i]). */
export interface PostgresHaLayout {
  synchronous: boolean;
  postgresPorts: number[];
  restPorts: number[];
  etcdClientPort: number;
  etcdPeerPort: number;
}

export interface StartReplicatedPostgresOptions {
  cellId: string;
  pgBin: string;
  /** The cell's folder: etcd/, postgres-ha/node-<i>/, logs/. */
  dataDir: string;
  layout: PostgresHaLayout;
  /** Each node's extra Postgres settings (WAL archiving into the cell's backup stanza). */
  settings?: Record<string, string>;
  log: (msg: string) => void;
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

export interface ReplicatedPostgres {
  url: string;
  /** Node 0's Patroni, standing where a single Postgres process would. */
  process: ManagedProcess;
  cluster: PatroniCluster;
  etcd: ManagedProcess;
  stop(): Promise<void>;
}

export async function startReplicatedPostgres(
  opts: StartReplicatedPostgresOptions,
): Promise<ReplicatedPostgres> {
  const bins = await ensureHaBinaries(opts.log);
  await adoptSingleNodeData(opts.dataDir, opts.log);
  const exitHook = opts.onUnexpectedExit !== undefined ? { onUnexpectedExit: opts.onUnexpectedExit } : {};
  const etcd = await startEtcd({
    bin: bins.etcd,
    dataDir: join(opts.dataDir, "etcd"),
    clientPort: opts.layout.etcdClientPort,
    peerPort: opts.layout.etcdPeerPort,
    logFile: join(opts.dataDir, "logs", "etcd.log"),
    name: `${opts.cellId}-etcd`,
    ...exitHook,
  });
  let cluster: PatroniCluster;
  try {
    cluster = await startPatroniCluster({
      patroniBin: bins.patroni,
      pgBin: opts.pgBin,
      scope: opts.cellId,
      etcdEndpoint: etcd.endpoint,
      dataDir: join(opts.dataDir, "postgres-ha"),
      postgresPorts: opts.layout.postgresPorts,
      restPorts: opts.layout.restPorts,
      synchronous: opts.layout.synchronous,
      logFile: (i) => join(opts.dataDir, "logs", `postgres-${i}.log`),
      ...(opts.settings !== undefined ? { settings: opts.settings } : {}),
      ...exitHook,
    });
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  return {
    url: cluster.url,
    process: cluster.processes[0]!,
    cluster,
    etcd: etcd.process,
    async stop() {
      await cluster.stop();
      await etcd.stop();
    },
  };
}

/** Node i's data folder inside a cell's folder (what pgbackrest backs up from and restores to). */
export const haNodeDataDir = (cellDir: string, i: number) =>
  join(cellDir, "postgres-ha", `node-${i}`, "data");

/** The local layout cells.yaml describes: 2 × replicas + 2 consecutive ports from `port`. */
export function localHaLayout(port: number, replicas: number, synchronous = true): PostgresHaLayout {
  const range = (from: number) => Array.from({ length: replicas }, (_, i) => from + i);
  return {
    synchronous,
    postgresPorts: range(port),
    restPorts: range(port + replicas),
    etcdClientPort: port + 2 * replicas,
    etcdPeerPort: port + 2 * replicas + 1,
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * A cell that ran with `replicas: 1` keeps its data in postgres/. Going to 2+, that data directory
 * becomes node 0's: Patroni takes an existing data directory over as the primary and builds the
 * standbys from it, so the cell keeps its payments instead of starting from an empty database.
 */
async function adoptSingleNodeData(cellDir: string, log: (msg: string) => void): Promise<void> {
  const single = join(cellDir, "postgres");
  const node0 = join(cellDir, "postgres-ha", "node-0", "data");
  if (!(await exists(join(single, "PG_VERSION"))) || (await exists(node0))) return;
  await mkdir(join(cellDir, "postgres-ha", "node-0"), { recursive: true });
  await rename(single, node0);
  log(`moved the single Postgres data directory ${single} to ${node0}: it becomes the Patroni primary`);
}

/** Going back from 2+ copies to `replicas: 1` would start an empty database: refuse instead. */
export async function assertNoReplicatedData(cellDir: string): Promise<void> {
  const node0 = join(cellDir, "postgres-ha", "node-0", "data", "PG_VERSION");
  if ((await exists(node0)) && !(await exists(join(cellDir, "postgres", "PG_VERSION")))) {
    throw new Error(
      `this cell's data is in a replicated Postgres (${join(cellDir, "postgres-ha")}); ` +
        "keep `replicas: 2` in cells.yaml, or move the primary's data directory to postgres/ yourself",
    );
  }
}
