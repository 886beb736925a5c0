// One Patroni node's YAML: the cluster-wide settings it bootstraps into etcd (failover timing,
// synchronous mode, fencing with pg_rewind) and its own listen addresses and data folder.
import { join } from "node:path";
import type { StartPatroniOptions } from "./patroni-cluster.ts";
import { OLTP_SETTINGS } from "./postgres-server.ts";

export function patroniConfig(opts: StartPatroniOptions, i: number, dir: string, preload: string) {
  const host = (port: number) => `127.0.0.1:${port}`;
  const superuser = { username: "postgres" };
  return {
    scope: opts.scope,
    namespace: "/cellpay/",
    name: `${opts.scope}-pg-${i}`,
    log: { level: "INFO" },
    restapi: { listen: host(opts.restPorts[i]!), connect_address: host(opts.restPorts[i]!) },
    etcd3: { hosts: opts.etcdEndpoint },
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
        synchronous_mode: opts.synchronous,
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
    },
    postgresql: {
      listen: host(opts.postgresPorts[i]!),
      connect_address: host(opts.postgresPorts[i]!),
      data_dir: join(dir, "data"),
      bin_dir: opts.pgBin,
      pgpass: join(dir, "pgpass"),
      authentication: { superuser, replication: superuser, rewind: superuser },
      // Local only, like the single-node Postgres: trust on 127.0.0.1, no unix sockets.
      // The local socket only exists with archiving on (pgbackrest connects through it; 0700 dir).
      pg_hba: [
        "local all postgres trust",
        "host all all 127.0.0.1/32 trust",
        "host replication all 127.0.0.1/32 trust",
      ],
      parameters: { unix_socket_directories: "", listen_addresses: "127.0.0.1", ...opts.settings },
    },
  };
}
