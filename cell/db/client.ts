// The cell's Postgres connection pool: the `postgres` driver (prepared statements, pipelining)
// with drizzle on top for typed queries. Built once at boot and passed in as a dependency.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.ts";

export type Sql = postgres.Sql;
export type Db = ReturnType<typeof createDb>["db"];

export function createDb(url: string, opts: { max?: number; applicationName?: string } = {}) {
  const sql = postgres(url, {
    max: opts.max ?? 20,
    prepare: true,
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "cellpay" },
    // bigint columns (money) come back as numbers: amounts are checked at the edge to stay safe
    types: {
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
    },
  });
  const db = drizzle(sql, { schema });
  return { sql, db };
}
