// Starts the three real servers one cell depends on (PostgreSQL, Redis, NATS JetStream)
// with their data under one folder; used by `npm start` and by every test suite.
import { access, chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureBinaries } from "./binaries.ts";
import { freePorts } from "./free-port.ts";
import { describeExit, type ExitInfo, type ManagedProcess } from "./managed-process.ts";
import { type NatsCluster, type NatsClusterLayout, startNatsCluster } from "./nats-cluster.ts";
import { type CellNatsRole, cellNatsPermissions, type NatsUser } from "./nats-credentials.ts";
import { type StartNatsOptions, startNats } from "./nats-server.ts";
import {
  archiveSettings,
  type BackupStanza,
  backupStanza,
  ensureStanza,
  type RestoreTarget,
  restoreInto,
  waitUntilPromoted,
  writeStanzaConfig,
} from "./pgbackrest.ts";
import { type PostgresServer, startPostgres } from "./postgres-server.ts";
import { startRedis } from "./redis-server.ts";
import {
  assertNoReplicatedData,
  haNodeDataDir,
  type PostgresHaLayout,
  type ReplicatedPostgres,
  startReplicatedPostgres,
} from "./replicated-postgres.ts";

export interface CellInfraPorts {
  postgres: number;
  redis: number;
  nats: number;
}

export interface CellInfra {
  cellId: string;
  postgresUrl: string;
  redisUrl: string;
  natsUrl: string;
  /** The NATS credential of each role (relay, processor; operator for the launcher and tests). */
  natsUsers: Record<CellNatsRole, NatsUser>;
  /** postgres, redis, nats, in that order (a replicated Postgres: node 0's Patroni). */
  processes: ManagedProcess[];
  /** Set when the cell's NATS is a JetStream cluster (cells.yaml `nats: { replicas: 3 }`). */
  natsCluster?: NatsCluster<CellNatsRole>;
  /** Set when the cell's Postgres is a Patroni cluster (cells.yaml `replicas: 2+`). */
  replicatedPostgres?: ReplicatedPostgres;
  /** The folder holding postgres/, redis/, nats/ and logs/. */
  dataDir: string;
  /** Where the cell's Postgres archives its WAL and keeps its base backups (when backups are on). */
  backupStanza?: BackupStanza;
  stop(): Promise<void>;
}

export interface StartCellInfraOptions {
  cellId: string;
  dataDir: string;
  ports: CellInfraPorts;
  /** A Patroni cluster instead of one Postgres process (then `ports.postgres` is unused). */
  postgresHa?: PostgresHaLayout;
  /** A JetStream cluster instead of one nats-server (then `ports.nats` is unused). */
  natsCluster?: NatsClusterLayout;
  log?: (msg: string) => void;
  /** TLS for the cell's NATS (clients then take NATS_TLS_CA_FILE). */
  natsTls?: StartNatsOptions<string>["tls"];
  /** Archive WAL into `<root>/<cell id>` (a pgBackRest stanza), outside the cell's folder. */
  backups?: { root: string; retentionDays?: number };
  /**
   * Build the Postgres from another cell's stanza (`cells restore`): restored into this cell's
   * (new, empty) postgres folder, started, and awaited until promoted. Single Postgres only.
   */
  restoreFrom?: { stanza: BackupStanza; to: RestoreTarget };
}

type Component = keyof CellInfraPorts;
const components: Component[] = ["postgres", "redis", "nats"];
// The shared instances on this machine own these; a cell that took one would talk to the wrong server.
const reservedPorts = new Set([5432, 6379, 4222]);

export async function startCellInfra(opts: StartCellInfraOptions): Promise<CellInfra> {
  const { cellId, ports } = opts;
  const log = opts.log ?? ((msg: string) => console.log(`[${cellId}] ${msg}`));
  const dataDir = resolve(opts.dataDir);
  for (const c of components) {
    if (reservedPorts.has(ports[c])) throw new Error(`cell ${cellId}: ${c} port ${ports[c]} is reserved`);
  }
  const bins = await ensureBinaries(log);
  if (opts.postgresHa === undefined) await assertNoReplicatedData(dataDir);
  await mkdir(join(dataDir, "logs"), { recursive: true });
  if (opts.restoreFrom !== undefined) {
    if (opts.postgresHa !== undefined)
      throw new Error(`cell ${cellId}: a restore starts one Postgres, not a cluster`);
    const pgDir = join(dataDir, "postgres");
    // Never over a database: a restore builds a new one, it does not repair one in place.
    if (
      await access(join(pgDir, "PG_VERSION")).then(
        () => true,
        () => false,
      )
    )
      throw new Error(`cell ${cellId}: ${pgDir} already holds a database; restore into a new folder`);
    log(
      `restoring ${opts.restoreFrom.stanza.stanza} (${String(opts.restoreFrom.to === "latest" ? "latest" : opts.restoreFrom.to.toISOString())}) into ${pgDir}`,
    );
    await restoreInto(opts.restoreFrom.stanza, pgDir, opts.restoreFrom.to);
  }
  const logFile = (c: Component) => join(dataDir, "logs", `${c}.log`);
  const onUnexpectedExit = (proc: ManagedProcess, info: ExitInfo) =>
    log(`${proc.name} (pid ${proc.pid}) ${describeExit(info)} unexpectedly; see ${proc.logFile}`);
  const common = (c: Component) => ({
    dataDir: join(dataDir, c),
    port: ports[c],
    logFile: logFile(c),
    name: `${cellId}-${c}`,
    onUnexpectedExit,
  });

  let stanza: BackupStanza | undefined;
  if (opts.backups !== undefined) {
    stanza = backupStanza(opts.backups.root, cellId);
    const nodes =
      opts.postgresHa !== undefined
        ? opts.postgresHa.postgresPorts.map((port, i) => ({ dataDir: haNodeDataDir(dataDir, i), port }))
        : [{ dataDir: join(dataDir, "postgres"), port: ports.postgres }];
    await writeStanzaConfig(stanza, nodes, opts.backups.retentionDays);
  }
  // A restore of a replicated cell brings the source's synchronous_standby_names with it (Patroni
  // wrote it into postgresql.conf): the restored single server would wait for that standby on
  // every commit, for ever. Command-line settings win over the restored files.
  const restored: Record<string, string> =
    opts.restoreFrom !== undefined ? { synchronous_standby_names: "" } : {};
  const settings =
    stanza !== undefined || opts.restoreFrom !== undefined
      ? { settings: { ...(stanza !== undefined ? archiveSettings(stanza) : {}), ...restored } }
      : {};

  const started = Date.now();
  const [pg, redis, nats] = await Promise.allSettled([
    opts.postgresHa !== undefined
      ? startReplicatedPostgres({
          cellId,
          pgBin: bins.pgBin,
          dataDir,
          layout: opts.postgresHa,
          log,
          onUnexpectedExit,
          ...settings,
        })
      : startPostgres({ bin: bins.pgBin, ...common("postgres"), ...settings }),
    startRedis({ bin: bins.redisServer, ...common("redis") }),
    opts.natsCluster !== undefined
      ? startNatsCluster({
          bin: bins.natsServer,
          layout: opts.natsCluster,
          dataDir: join(dataDir, "nats"),
          logDir: join(dataDir, "logs"),
          name: `${cellId}-nats`,
          onUnexpectedExit,
          permissions: cellNatsPermissions(cellId),
          credentialsDir: join(dataDir, "nats-credentials"),
          ...(opts.natsTls ? { tls: opts.natsTls } : {}),
        })
      : startNats({
          bin: bins.natsServer,
          ...common("nats"),
          permissions: cellNatsPermissions(cellId),
          credentialsDir: join(dataDir, "nats-credentials"),
          ...(opts.natsTls ? { tls: opts.natsTls } : {}),
        }),
  ]);
  if (pg.status === "rejected" || redis.status === "rejected" || nats.status === "rejected") {
    // Each start function already stopped its own process on failure; stop the ones that came up.
    const up = [pg, redis, nats].flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    await Promise.all(up.map((s) => s.stop()));
    const failures = components.flatMap((c, i) => {
      const r = [pg, redis, nats][i]!;
      return r.status === "rejected" ? [`${c} failed to start: ${messageOf(r.reason)}`] : [];
    });
    throw new Error(`cell ${cellId}: infrastructure did not start\n${failures.join("\n\n")}`, {
      cause: [pg, redis, nats].find((r) => r.status === "rejected")?.reason,
    });
  }
  const pgPorts = opts.postgresHa?.postgresPorts.join(",") ?? ports.postgres;
  const natsValue = nats.value;
  const natsCluster = "nodes" in natsValue ? natsValue : undefined;
  const natsProcess = "nodes" in natsValue ? natsValue.nodes[0]!.process : natsValue.process;
  const natsPorts = opts.natsCluster?.clientPorts.join(",") ?? ports.nats;
  log(
    `postgres :${pgPorts} (pid ${pg.value.process.pid}), redis :${ports.redis} (pid ${redis.value.process.pid}), ` +
      `nats :${natsPorts} (pid ${natsProcess.pid}) up in ${Date.now() - started} ms; data in ${dataDir}`,
  );

  const servers: { stop(): Promise<void> }[] = [pg.value, redis.value, nats.value];
  if (stanza !== undefined || opts.restoreFrom !== undefined) {
    try {
      // A restored server replays the archive read-only first; the new stanza needs a primary.
      if (opts.restoreFrom !== undefined) await waitUntilPromoted(pg.value.url);
      if (stanza !== undefined) await ensureStanza(stanza);
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      throw err;
    }
  }
  const replicated = isReplicated(pg.value) ? pg.value : undefined;
  let stopping: Promise<void> | undefined;
  return {
    cellId,
    postgresUrl: pg.value.url,
    redisUrl: redis.value.url,
    natsUrl: nats.value.url,
    natsUsers: nats.value.users,
    // A NATS cluster: node 0 here; every node is in natsCluster.nodes.
    processes: [pg.value.process, redis.value.process, natsProcess],
    ...(natsCluster !== undefined ? { natsCluster } : {}),
    ...(replicated !== undefined ? { replicatedPostgres: replicated } : {}),
    ...(stanza !== undefined ? { backupStanza: stanza } : {}),
    dataDir,
    stop() {
      stopping ??= Promise.all(servers.map((s) => s.stop())).then(() => log("infrastructure stopped"));
      return stopping;
    },
  };
}

function isReplicated(pg: PostgresServer | ReplicatedPostgres): pg is ReplicatedPostgres {
  return "cluster" in pg;
}

export interface TestCellInfraOptions {
  /** 2+: a Patroni cluster with a synchronous standby (slower to start; default 1, one process). */
  postgresReplicas?: number;
  synchronous?: boolean;
  /** Archive WAL into a pgBackRest stanza under this folder (outside the cell's temp folder). */
  backupRoot?: string;
  /** 3 or 5: a JetStream cluster (default 1, one nats-server). */
  natsReplicas?: number;
}

/**
 * A throw-away cell for tests: free ports, a fresh temp folder, and a stop() that also
 * deletes the folder.
 */
export async function startTestCellInfra(
  cellId = "cell-test",
  testOpts: TestCellInfraOptions = {},
): Promise<CellInfra> {
  const dataDir = await mkdtemp(join(tmpdir(), `cellpay-${cellId}-`));
  // mkdtemp makes 0700 dirs; the postgres OS user must be able to enter this one.
  await chmod(dataDir, 0o755);
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  try {
    const infra = await startOnFreePorts(cellId, dataDir, testOpts);
    let stopping: Promise<void> | undefined;
    return {
      ...infra,
      stop() {
        stopping ??= infra.stop().then(removeDir);
        return stopping;
      },
    };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

/** A port found free can still be taken before our server binds it: try other ports then. */
async function startOnFreePorts(
  cellId: string,
  dataDir: string,
  testOpts: TestCellInfraOptions,
): Promise<CellInfra> {
  const replicas = testOpts.postgresReplicas ?? 1;
  const natsReplicas = testOpts.natsReplicas ?? 1;
  for (let attempt = 1; ; attempt++) {
    const natsPorts = natsReplicas > 1 ? await freePorts(2 * natsReplicas) : [];
    const natsCluster: NatsClusterLayout | undefined =
      natsReplicas > 1
        ? { clientPorts: natsPorts.slice(0, natsReplicas), routePorts: natsPorts.slice(natsReplicas) }
        : undefined;
    const [postgres, redis, nats, ...ha] = (await freePorts(replicas > 1 ? 2 * replicas + 5 : 3)) as [
      number,
      number,
      number,
      ...number[],
    ];
    const postgresHa: PostgresHaLayout | undefined =
      replicas > 1
        ? {
            synchronous: testOpts.synchronous ?? true,
            postgresPorts: ha.slice(0, replicas),
            restPorts: ha.slice(replicas, 2 * replicas),
            etcdClientPort: ha[2 * replicas]!,
            etcdPeerPort: ha[2 * replicas + 1]!,
          }
        : undefined;
    try {
      return await startCellInfra({
        cellId,
        dataDir,
        ports: { postgres, redis, nats },
        ...(postgresHa !== undefined ? { postgresHa } : {}),
        ...(natsCluster !== undefined ? { natsCluster } : {}),
        ...(testOpts.backupRoot !== undefined ? { backups: { root: testOpts.backupRoot } } : {}),
        log: () => {},
      });
    } catch (err) {
      if (attempt >= 3 || !/already in use|EADDRINUSE/.test(messageOf(err))) throw err;
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
