// Every registry change that affects routing goes through here, inside the transaction that made
// it: the delta gets version = max + 1 and is stored with the change, so the version only grows
// and a committed change always has its version. Publishing happens after the commit.
import type { KeyObject } from "node:crypto";
import { sql } from "drizzle-orm";
import type { NatsConnection } from "nats";
import type { Logger } from "../../shared/logger.ts";
import { signRoutingDocument } from "../../shared/routing/routing-signature.ts";
import {
  ROUTING_SUBJECT,
  type RouteCell,
  type RoutePartner,
  type RoutingDelta,
} from "../../shared/routing/routing-table.ts";
import type { Tx } from "../db/client.ts";
import { routingVersions } from "../db/schema.ts";

/** Arbitrary but fixed: the advisory lock that serializes routing versions. */
const ROUTING_LOCK_KEY = 0x63_70_72_74; // "cprt"

export interface RoutingChange {
  cells?: Record<string, RouteCell | null>;
  partners?: Record<string, RoutePartner | null>;
}

/**
 * Stores the change as the next routing version, in `tx`. Call it last in the transaction (it
 * holds the lock that serializes versions until commit), then `publishRoutingDelta` after commit.
 */
export async function commitRoutingChange(tx: Tx, change: RoutingChange): Promise<RoutingDelta> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ROUTING_LOCK_KEY})`);
  const rows = await tx.execute<{ version: string | number }>(
    sql`select coalesce(max(version), 0) as version from routing_versions`,
  );
  const delta: RoutingDelta = {
    version: Number(rows[0]?.version ?? 0) + 1,
    cells: change.cells ?? {},
    partners: change.partners ?? {},
  };
  await tx.insert(routingVersions).values({ version: delta.version, delta });
  return delta;
}

/**
 * Where deltas go: the control plane's NATS connection (its own credential, the only one allowed
 * to publish routing) and the key every delta is signed with (routers ignore unsigned ones).
 */
export interface RoutingChannel {
  connection: NatsConnection;
  signingKey: KeyObject;
}

/** Signs and publishes a committed delta. A failure is logged only: routers resync on gaps and periodically. */
export function publishRoutingDelta(channel: RoutingChannel, delta: RoutingDelta, logger: Logger): void {
  try {
    const { signature: _unsigned, ...content } = delta;
    channel.connection.publish(
      ROUTING_SUBJECT,
      JSON.stringify(signRoutingDocument("delta", content, channel.signingKey)),
    );
  } catch (err) {
    logger.warn({ err: (err as Error).message, version: delta.version }, "routing delta not published");
  }
}

/** The current routing version (0 before any change). */
export async function currentRoutingVersion(tx: Tx): Promise<number> {
  const rows = await tx.execute<{ version: string | number }>(
    sql`select coalesce(max(version), 0) as version from routing_versions`,
  );
  return Number(rows[0]?.version ?? 0);
}
