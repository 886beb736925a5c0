// The cell's Postgres pools, built once at boot and passed in as dependencies:
// - `sql`: the `postgres` driver used by the hot path (prepared statements, one statement per
//   state change), with money (bigint) parsed to numbers and timestamps to Dates;
// - `db`: drizzle for the typed, colder queries (vault, provisioning). drizzle re-configures the
//   driver's json and timestamp (de)serializers of the client it wraps, so it gets its own.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.ts";

export type Sql = postgres.Sql;
export type Db = ReturnType<typeof createDb>["db"];

export function createDb(url: string, opts: { max?: number; applicationName?: string } = {}) {
  const common = {
    idle_timeout: 60,
    // Fail fast when the cell's Postgres is gone: partners get a 503 in seconds, not a hang.
    connect_timeout: 3,
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "cellpay" },
  };
  const sql = postgres(url, {
    ...common,
    max: opts.max ?? 20,
    prepare: true,
    types: {
      // amounts are checked at the edge to stay within Number.MAX_SAFE_INTEGER
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
    },
  });
  const drizzleClient = postgres(url, { ...common, max: 4 });
  const db = drizzle(drizzleClient, { schema });
  return {
    sql,
    db,
    async end() {
      await Promise.all([sql.end({ timeout: 5 }), drizzleClient.end({ timeout: 5 })]);
    },
  };
}
