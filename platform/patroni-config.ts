// One Patroni node's YAML: the cluster-wide settings it bootstraps into etcd (failover timing,
// synchronous mode, fencing with pg_rewind) and its own listen addresses and data folder. The
// local launcher and docker-compose.yml (platform/compose-patroni-config.ts) both build it here.
import { join } from "node:path";
import type { StartPatroniOptions } from "./patroni-cluster.ts";
import { OLTP_SETTINGS } from "./postgres-server.ts";

/** Where one node listens and keeps its files: the only part that differs between placements. */
export interface PatroniNodePlacement {
  name: string;
  /** host:port pairs: what the node binds, and what the other nodes and clients reach it at. */
  restapi: { listen: string; connect_address: string };
  postgres: { listen: string; connect_address: string };
  etcdHosts: string;
  dataDir: string;
  binDir: string;
  pgpass: string;
  pgHba: string[];
  /** The node's own Postgres settings (WAL archiving, sockets): local, not in etcd. */
  parameters: Record<string, string>;
  /** Run once by the node that bootstraps the cluster (Patroni appends a connection URL). */
  postBootstrap?: string;
}

export const PATRONI_NAMESPACE = "/cellpay/";

export function patroniNodeConfig(
  scope: string,
  synchronous: boolean,
  preload: string,
  node: PatroniNodePlacement,
) {
  const superuser = { username: "postgres" };
  return {
    scope,
    namespace: PATRONI_NAMESPACE,
    name: node.name,
    log: { level: "INFO" },
    restapi: node.restapi,
    etcd3: { hosts: node.etcdHosts },
    watchdog: { mode: "off" },
    bootstrap: {
      dcs: {
        // A failover within ~10 s: the leader lock expires after ttl unless renewed every
        // loop_wait; Patroni needs loop_wait + 2 × retry_timeout <= ttl.
        ttl: 10,
        loop_wait: 1,
        retry_timeout: 4,
        // A crashed primary is failed over at once rather than crash-recovered in place (which
        // would keep the cell down for the whole WAL replay and could recur).
        primary_start_timeout: 0,
        maximum_lag_on_failover: 1_048_576,
        // With the synchronous standby gone, strict mode would block every commit; non-strict
        // lets the primary commit alone (RPO then = commits since the standby left, if that one
        // disk is lost too) and Patroni only promotes a node that was the synchronous standby.
        synchronous_mode: synchronous,
        synchronous_mode_strict: false,
        postgresql: {
          // Fencing: the old primary never comes back as a second writer; Patroni demotes it and
          // pg_rewind (or a fresh base backup) turns it into a standby of the new primary.
          use_pg_rewind: true,
          use_slots: true,
          remove_data_directory_on_rewind_failure: true,
          remove_data_directory_on_diverged_timelines: true,
          parameters: {
            max_connections: 300,
            shared_buffers: "256MB",
            fsync: "on",
            synchronous_commit: "on",
            wal_level: "replica",
            hot_standby: "on",
            wal_log_hints: "on",
            max_wal_senders: 10,
            max_replication_slots: 10,
            wal_keep_size: "256MB",
            ...OLTP_SETTINGS,
            ...(preload !== "" ? { shared_preload_libraries: preload } : {}),
          },
        },
      },
      initdb: [{ encoding: "UTF8" }, { locale: "C" }],
      ...(node.postBootstrap !== undefined ? { post_bootstrap: node.postBootstrap } : {}),
    },
    postgresql: {
      ...node.postgres,
      data_dir: node.dataDir,
      bin_dir: node.binDir,
      pgpass: node.pgpass,
      authentication: { superuser, replication: superuser, rewind: superuser },
      pg_hba: node.pgHba,
      parameters: node.parameters,
    },
  };
}

/** Node i of a local cluster: everything on 127.0.0.1, files under `dir`. */
export function patroniConfig(opts: StartPatroniOptions, i: number, dir: string, preload: string) {
  const host = (port: number) => `127.0.0.1:${port}`;
  return patroniNodeConfig(opts.scope, opts.synchronous, preload, {
    name: `${opts.scope}-pg-${i}`,
    restapi: { listen: host(opts.restPorts[i]!), connect_address: host(opts.restPorts[i]!) },
    postgres: { listen: host(opts.postgresPorts[i]!), connect_address: host(opts.postgresPorts[i]!) },
    etcdHosts: opts.etcdEndpoint,
    dataDir: join(dir, "data"),
    binDir: opts.pgBin,
    pgpass: join(dir, "pgpass"),
    // Local only, like the single-node Postgres: trust on 127.0.0.1, no unix sockets.
    // The local socket only exists with archiving on (pgbackrest connects through it; 0700 dir).
    pgHba: [
      "local all postgres trust",
      "host all all 127.0.0.1/32 trust",
      "host replication all 127.0.0.1/32 trust",
    ],
    parameters: { unix_socket_directories: "", listen_addresses: "127.0.0.1", ...opts.settings },
  });
}
