// A partner's state changes during a move, inside a cell: the freeze that stops its writes here
// (the in-process set refuses at once, the stored status makes every other or restarted gateway
// do the same), its release, and activation on the target. Each change also drops the partner's
// keys from the key cache, so the status is seen within the local cache TTL.
import type { Redis } from "../cache/redis-client.ts";
import type { Sql } from "../db/client.ts";
import { findPartner, forgetPartnerKeys, type PartnerRecord } from "./partner-admin.ts";

interface FreezeDeps {
  sql: Sql;
  redis: Redis | undefined;
  frozenPartners: Set<string>;
}

/** Freezes the partner here; false when this cell has no such partner. */
export async function freezePartner(deps: FreezeDeps, partnerId: string): Promise<boolean> {
  deps.frozenPartners.add(partnerId);
  const rows = await deps.sql`update partners set status = 'moving' where id = ${partnerId} returning id`;
  if (rows.length === 0) {
    deps.frozenPartners.delete(partnerId);
    return false;
  }
  await forgetPartnerKeys(deps.sql, deps.redis, partnerId);
  return true;
}

/** Ends a freeze (a rolled-back move) or activates a copied partner (after the flip). */
export async function releasePartner(
  deps: FreezeDeps,
  partnerId: string,
  status: "active" | "suspended",
): Promise<PartnerRecord | undefined> {
  deps.frozenPartners.delete(partnerId);
  await deps.sql`update partners set status = ${status} where id = ${partnerId}`;
  await forgetPartnerKeys(deps.sql, deps.redis, partnerId);
  return findPartner(deps.sql, partnerId);
}
