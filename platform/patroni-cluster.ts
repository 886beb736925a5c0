// Starts a cell's Postgres as a Patroni 3.0 cluster: a primary plus streaming standbys, each on its
// own data folder and port, with the leader lock in etcd. Patroni runs (and runs Postgres) as the
// unprivileged `postgres` OS user. Clients reach the primary with a multi-host URL and
// target_session_attrs=primary, so after a failover they find the new primary by themselves.
import { access, chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { stringify } from "yaml";
import { assertPortFree } from "./free-port.ts";
import { describeExit, type ExitInfo, ManagedProcess } from "./managed-process.ts";
import { patroniConfig } from "./patroni-config.ts";
import {
  createCellpayDatabase,
  hasPgStatStatements,
  postgresUser,
  prepareDataDir,
} from "./postgres-server.ts";
import { waitFor } from "./wait-for.ts";

export interface StartPatroniOptions {
  patroniBin: string;
  /** Directory holding initdb, postgres, pg_rewind, pg_basebackup. */
  pgBin: string;
  /** Patroni's scope: the cluster's name in etcd (the cell id). */
  scope: string;
  etcdEndpoint: string;
  dataDir: string;
  /** One Postgres port and one Patroni REST port per node. */
  postgresPorts: number[];
  restPorts: number[];
  /** Patroni synchronous_mode: a commit is acknowledged once it is on the standby's disk too. */
  synchronous: boolean;
  /** logs/postgres-<i>.log for node i. */
  logFile: (index: number) => string;
  /** Each node's extra Postgres settings (WAL archiving, platform/pgbackrest.ts): local, not in etcd. */
  settings?: Record<string, string>;
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

export interface PatroniMember {
  name: string;
  /** "leader", "sync_standby" or "replica". */
  role: string;
  state: string;
  port: number;
  lag?: number | string;
}

export interface PatroniCluster {
  /** postgres://postgres@127.0.0.1:p0,127.0.0.1:p1/cellpay?target_session_attrs=primary */
  url: string;
  /** One Patroni process per node, in node order. */
  processes: ManagedProcess[];
  postgresPorts: number[];
  /** The cluster as Patroni sees it (GET /cluster on the first node that answers). */
  members(): Promise<PatroniMember[]>;
  /** Node index of the one node running as primary, or undefined (during a failover). */
  leaderIndex(): Promise<number | undefined>;
  /** The postmaster's pid of node `index` (from its postmaster.pid), if it runs. */
  postmasterPid(index: number): Promise<number | undefined>;
  /** Starts node `index`'s Patroni again after it died (its machine came back): it rejoins. */
  restartNode(index: number): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

export async function startPatroniCluster(opts: StartPatroniOptions): Promise<PatroniCluster> {
  const runAs = await postgresUser();
  const ids = runAs ?? {};
  const root = resolve(opts.dataDir);
  const nodeDir = (i: number) => join(root, `node-${i}`);
  const preload = (await hasPgStatStatements(opts.pgBin)) ? "pg_stat_statements" : "";
  for (const [i, port] of opts.postgresPorts.entries()) {
    await assertPortFree(port, `${opts.scope} postgres-${i}`);
    await assertPortFree(opts.restPorts[i]!, `${opts.scope} patroni-${i}`);
    await mkdir(nodeDir(i), { recursive: true });
    await prepareDataDir(nodeDir(i), runAs);
    const configFile = join(nodeDir(i), "patroni.yml");
    await writeFile(configFile, stringify(patroniConfig(opts, i, nodeDir(i), preload)), { mode: 0o600 });
    if (runAs !== undefined) await chown(configFile, runAs.uid, runAs.gid);
  }

  const processes: ManagedProcess[] = [];
  const stop = async () => {
    // Standbys first, then the leader: a leader stopping first would hand its lock to a standby
    // that is about to stop too.
    const leader = await leaderIndex().catch(() => undefined);
    const started = opts.postgresPorts.flatMap((_, i) => (processes[i] !== undefined ? [i] : []));
    const order = started.sort((a, b) => Number(a === leader) - Number(b === leader));
    for (const i of order) {
      await processes[i]!.stop("SIGTERM", 30_000);
      await stopOrphanPostmaster(i);
    }
  };
  const members = async (): Promise<PatroniMember[]> => {
    let lastError: unknown;
    for (const port of opts.restPorts) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/cluster`, { signal: AbortSignal.timeout(1_000) });
        const body = (await res.json()) as { members?: PatroniMember[] };
        return body.members ?? [];
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no Patroni node of ${opts.scope} answers`, { cause: lastError });
  };
  const nameOf = (i: number) => `${opts.scope}-pg-${i}`;
  // Postgres itself says who is primary (etcd's member list can be a run behind).
  const leaderIndex = async () => {
    const states = await Promise.all(
      opts.postgresPorts.map((port) => nodeState(port).catch(() => undefined)),
    );
    const primaries = states.flatMap((s, i) => (s?.primary ? [i] : []));
    return primaries.length === 1 ? primaries[0] : undefined;
  };
  const postmasterPid = async (i: number) => {
    try {
      const pid = Number((await readFile(join(nodeDir(i), "data", "postmaster.pid"), "utf8")).split("\n")[0]);
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  };
  // Patroni starts Postgres in its own session; should Patroni die without stopping it, do it here.
  const stopOrphanPostmaster = async (i: number) => {
    const pid = await postmasterPid(i);
    if (pid === undefined) return;
    process.kill(pid, "SIGINT");
    await waitFor(
      async () => {
        if ((await postmasterPid(i)) !== undefined) throw new Error("still running");
      },
      { what: `${nameOf(i)} postmaster to exit`, timeoutMs: 15_000 },
    ).catch(() => process.kill(pid, "SIGKILL"));
  };

  const startNode = (i: number) =>
    ManagedProcess.start({
      name: nameOf(i),
      command: opts.patroniBin,
      args: [join(nodeDir(i), "patroni.yml")],
      logFile: opts.logFile(i),
      cwd: nodeDir(i),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C", HOME: nodeDir(i) },
      // Stopped by stop() in order (standbys, then the leader), not all at once by a Ctrl-C.
      detached: true,
      ...ids,
      ...(opts.onUnexpectedExit !== undefined ? { onUnexpectedExit: opts.onUnexpectedExit } : {}),
    });
  const restartNode = async (i: number) => {
    if (processes[i]?.running) throw new Error(`${nameOf(i)} is still running`);
    // A postmaster left by a killed Patroni would keep the port: stop it first, as a reboot would.
    await stopOrphanPostmaster(i);
    processes[i] = await startNode(i);
    return processes[i];
  };

  try {
    // Nodes without data must not race the others to bootstrap: an empty node could initdb a new
    // cluster while another holds the real data (a cell moved from 1 to 2 copies). Start the nodes
    // with data (or node 0 on a first start), wait for a primary, then the empty ones, which
    // then take a base backup from it.
    const hasData = await Promise.all(
      opts.postgresPorts.map((_, i) => exists(join(nodeDir(i), "data", "PG_VERSION"))),
    );
    const first = hasData.some(Boolean) ? hasData.flatMap((d, i) => (d ? [i] : [])) : [0];
    for (const i of first) processes[i] = await startNode(i);
    if (first.length < opts.postgresPorts.length) {
      await waitFor(
        async () => {
          if ((await leaderIndex()) === undefined) throw new Error("no primary yet");
        },
        {
          what: `a primary among ${opts.scope}'s nodes ${first.join(", ")}`,
          timeoutMs: 120_000,
          intervalMs: 250,
          logFile: opts.logFile(first[0]!),
          giveUpIf: () => {
            const dead = processes.find((p) => p !== undefined && p.exit !== undefined);
            return dead ? `${dead.name} ${describeExit(dead.exit!)}` : undefined;
          },
        },
      );
      for (const [i] of opts.postgresPorts.entries()) processes[i] ??= await startNode(i);
    }
    const expected = opts.postgresPorts.length;
    // Ask Postgres itself, not the member list in etcd: after a restart that list still shows the
    // roles of the previous run until each node has renewed its key.
    await waitFor(
      async () => {
        const states = await Promise.all(opts.postgresPorts.map((port) => nodeState(port)));
        const primaries = states.filter((s) => s.primary);
        const ready =
          primaries.length === 1 &&
          primaries[0]!.streaming === expected - 1 &&
          (!opts.synchronous || primaries[0]!.sync > 0);
        if (!ready) throw new Error(`cluster not ready: ${JSON.stringify(states)}`);
      },
      {
        what: `${opts.scope}'s Patroni cluster (${expected} nodes${opts.synchronous ? ", synchronous standby" : ""})`,
        timeoutMs: 120_000, // bootstrap: initdb, then a base backup for every standby
        intervalMs: 250,
        logFile: opts.logFile(0),
        giveUpIf: () => {
          const dead = processes.find((p) => p !== undefined && p.exit !== undefined);
          return dead ? `${dead.name} ${describeExit(dead.exit!)}` : undefined;
        },
      },
    );
    const states = await Promise.all(opts.postgresPorts.map((port) => nodeState(port)));
    await createCellpayDatabase(opts.postgresPorts[states.findIndex((s) => s.primary)]!);
    // A client that reaches a standby before it replayed CREATE DATABASE fails at startup with
    // 3D000 instead of moving on to the next host: return once every node serves the database.
    for (const port of opts.postgresPorts) {
      await waitFor(() => selectOne(port), {
        what: `the cellpay database on ${opts.scope}'s node at :${port}`,
        timeoutMs: 60_000,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const hosts = opts.postgresPorts.map((p) => `127.0.0.1:${p}`).join(",");
  return {
    url: `postgres://postgres@${hosts}/cellpay?target_session_attrs=primary`,
    processes,
    postgresPorts: opts.postgresPorts,
    members,
    leaderIndex,
    postmasterPid,
    restartNode,
    stop,
  };
}

interface NodeState {
  primary: boolean;
  /** On a primary: standbys streaming from it, and how many of them are synchronous. */
  streaming: number;
  sync: number;
}

async function nodeState(port: number): Promise<NodeState> {
  const sql = postgres({
    host: "127.0.0.1",
    port,
    user: "postgres",
    database: "postgres",
    max: 1,
    connect_timeout: 2,
  });
  try {
    const [row] = await sql<{ primary: boolean; streaming: number; sync: number }[]>`
      select not pg_is_in_recovery() as primary,
             (select count(*)::int from pg_stat_replication where state = 'streaming') as streaming,
             (select count(*)::int from pg_stat_replication where sync_state in ('sync', 'quorum')) as sync`;
    return row!;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function selectOne(port: number): Promise<void> {
  const sql = postgres({
    host: "127.0.0.1",
    port,
    user: "postgres",
    database: "cellpay",
    max: 1,
    connect_timeout: 2,
  });
  try {
    await sql`select 1`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
