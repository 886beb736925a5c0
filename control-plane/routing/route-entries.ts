// How registry rows appear in the routing table: the one mapping, used by the full table and by
// every delta, so the two can never disagree.
import { inArray } from "drizzle-orm";
import type { RouteCell, RoutePartner } from "../../shared/routing/routing-table.ts";
import type { DbOrTx } from "../db/client.ts";
import { cells, partners } from "../db/schema.ts";

type CellRow = Pick<typeof cells.$inferSelect, "state" | "gateways">;
type PartnerRow = Pick<typeof partners.$inferSelect, "cellId" | "status" | "frozen">;

export const routeCellOf = (row: CellRow): RouteCell => ({ state: row.state, gateways: row.gateways });

export const routePartnerOf = (row: PartnerRow): RoutePartner => ({
  cell: row.cellId,
  status: row.status,
  frozen: row.frozen,
});

/** The current route entries of these partners (read inside the transaction that changed them). */
export async function partnerRoutes(db: DbOrTx, ids: string[]): Promise<Record<string, RoutePartner>> {
  if (ids.length === 0) return {};
  const rows = await db
    .select({ id: partners.id, cellId: partners.cellId, status: partners.status, frozen: partners.frozen })
    .from(partners)
    .where(inArray(partners.id, ids));
  return Object.fromEntries(rows.map((r) => [r.id, routePartnerOf(r)]));
}

/** The current route entries of these cells. */
export async function cellRoutes(db: DbOrTx, ids: string[]): Promise<Record<string, RouteCell>> {
  if (ids.length === 0) return {};
  const rows = await db
    .select({ id: cells.id, state: cells.state, gateways: cells.gateways })
    .from(cells)
    .where(inArray(cells.id, ids));
  return Object.fromEntries(rows.map((r) => [r.id, routeCellOf(r)]));
}
