// The cell's database role layout, read from Postgres itself on the connection the gateways use
// (the multi-host URL with target_session_attrs=read-write lands on the primary): which server is
// primary, on which timeline, and each standby's replication state and lag from
// pg_stat_replication. The control plane polls it through the internal API, so it needs no
// network path to Patroni. A single-copy cell answers one primary and no standbys.
import type { DatabaseLayout } from "../../shared/cell-api/contract.ts";
import type { Sql } from "./client.ts";

export async function readDatabaseLayout(sql: Sql, now: Date): Promise<DatabaseLayout> {
  const [primary] = await sql<
    {
      address: string;
      replicated: boolean;
      in_recovery: boolean;
      sync_names: string;
      wal_file: string | null;
    }[]
  >`
    select coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port()::text, '') as address,
           current_setting('cluster_name') <> '' as replicated,
           pg_is_in_recovery() as in_recovery,
           current_setting('synchronous_standby_names') as sync_names,
           case when pg_is_in_recovery() then null else pg_walfile_name(pg_current_wal_lsn()) end as wal_file`;
  // Details of pg_stat_replication are null for a role without pg_read_all_stats: the layout
  // still lists the standbys, with unknown states.
  const standbys = await sql<
    {
      name: string;
      client_addr: string | null;
      state: string | null;
      sync_state: string | null;
      lag_bytes: string | null;
      lag_seconds: number | null;
    }[]
  >`
    select application_name as name,
           case when client_addr is null then null
                else host(client_addr) || ':' || client_port::text end as client_addr,
           state, sync_state,
           case when pg_is_in_recovery() or replay_lsn is null then null
                else pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text end as lag_bytes,
           extract(epoch from replay_lag)::float8 as lag_seconds
    from pg_stat_replication order by application_name`;
  const p = primary!;
  return {
    replicated: p.replicated,
    primary: {
      address: p.address,
      // A WAL file name starts with the timeline, 8 hex digits (pg_control_checkpoint() would
      // need a privileged role).
      timeline: p.wal_file ? Number.parseInt(p.wal_file.slice(0, 8), 16) : null,
      in_recovery: p.in_recovery,
      synchronous_standby_names: p.sync_names,
    },
    standbys: standbys.map((s) => ({
      name: s.name,
      client_addr: s.client_addr,
      state: s.state,
      sync_state: s.sync_state,
      replay_lag_bytes: s.lag_bytes === null ? null : Number(s.lag_bytes),
      replay_lag_seconds: s.lag_seconds,
    })),
    checked_at: now.toISOString(),
  };
}
