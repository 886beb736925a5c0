// The control plane's Postgres: drizzle over the `postgres` driver, built once at boot.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.ts";

export type ControlPlaneDb = ReturnType<typeof createControlPlaneDb>["db"];
/** A transaction handle: what registry writes (and commitRoutingChange) run in. */
export type Tx = Parameters<Parameters<ControlPlaneDb["transaction"]>[0]>[0];
/** Either the pool or a transaction: read helpers take this. */
export type DbOrTx = ControlPlaneDb | Tx;

export function createControlPlaneDb(url: string, opts: { max?: number } = {}) {
  const client = postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: "control-plane" },
  });
  const db = drizzle(client, { schema });
  return {
    db,
    async end() {
      await client.end({ timeout: 5 });
    },
  };
}
