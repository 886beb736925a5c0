// The cell's Postgres pools, built once at boot and passed in as dependencies:
// - `sql`: the `postgres` driver used by the hot path (prepared statements, one statement per
//   state change), with money (bigint) parsed to numbers and timestamps to Dates;
// - `db`: drizzle for the typed, colder queries (vault, provisioning). drizzle re-configures the
//   driver's json and timestamp (de)serializers of the client it wraps, so it gets its own.
// Both fail fast when the cell's primary is gone (its whole machine, not just the postmaster):
// see connectionSettings below and connection-deadline.ts.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { withConnectionDeadline } from "./connection-deadline.ts";
import * as schema from "./schema.ts";

export type Sql = postgres.Sql;
export type Db = ReturnType<typeof createDb>["db"];

export interface DbOptions {
  max?: number;
  applicationName?: string;
  /**
   * How long a query may wait for a connection to the primary before it fails (503) instead of
   * waiting out a failover. Default 3 s: about a request's patience; Retry-After brings it back.
   */
  primaryWaitMs?: number;
  /** Server-side limit per statement; long copies (moves, checksums) need minutes. Default 5 min. */
  statementTimeoutMs?: number;
}

/**
 * Timeouts that turn a dead primary into an error in seconds:
 * - connect_timeout: a host that does not answer the TCP handshake (machine gone) is skipped;
 * - keep_alive: TCP keepalive on every connection, so an idle connection to a vanished machine is
 *   noticed and replaced rather than handed to the next query;
 * - on the server: idle_in_transaction_session_timeout frees locks held by a client that died
 *   mid-transaction, and tcp_keepalives_* / tcp_user_timeout drop the sessions of a client machine
 *   that vanished (its row locks would otherwise outlive it).
 */
function connectionSettings(opts: DbOptions) {
  return {
    idle_timeout: 60,
    connect_timeout: 3,
    keep_alive: 5,
    onnotice: () => {},
    connection: {
      application_name: opts.applicationName ?? "cellpay",
      statement_timeout: opts.statementTimeoutMs ?? 300_000,
      idle_in_transaction_session_timeout: 60_000,
      tcp_keepalives_idle: 5,
      tcp_keepalives_interval: 2,
      tcp_keepalives_count: 3,
      tcp_user_timeout: 10_000,
    },
  };
}

/** postgres://user@h1:5432,h2:5433/db: more than one host, i.e. a replicated cell's Postgres. */
export function isMultiHost(url: string): boolean {
  const authority = url.replace(/^[a-z]+:\/\//i, "").split(/[/?]/)[0] ?? "";
  return authority.slice(authority.lastIndexOf("@") + 1).includes(",");
}

export function createDb(url: string, opts: DbOptions = {}) {
  const common = connectionSettings(opts);
  const primaryWaitMs = opts.primaryWaitMs ?? 3_000;
  const pool = postgres(url, {
    ...common,
    max: opts.max ?? 20,
    prepare: true,
    types: {
      // amounts are checked at the edge to stay within Number.MAX_SAFE_INTEGER
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
    },
  });
  const drizzleClient = postgres(url, { ...common, max: 4 });
  // Only a replicated cell (a multi-host URL) can be without a primary for a while: one host that
  // is gone refuses or times out on connect_timeout by itself. The deadline also counts the wait
  // for a free pooled connection, so applying it to one host would only shed load under bursts.
  const guard = <T extends postgres.Sql>(client: T): T =>
    isMultiHost(url) ? (withConnectionDeadline(client, primaryWaitMs) as T) : client;
  const sql = guard(pool);
  const db = drizzle(guard(drizzleClient), { schema });
  return {
    sql,
    /**
     * The same pool without the deadline: for reads that must see the new primary as soon as
     * there is one (the database layout the control plane polls), rather than be withdrawn.
     */
    sqlWithoutDeadline: pool as Sql,
    db,
    async end() {
      await Promise.all([pool.end({ timeout: 5 }), drizzleClient.end({ timeout: 5 })]);
    },
  };
}
