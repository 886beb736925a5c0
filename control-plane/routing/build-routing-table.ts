// The whole routing table, built from the registries in one snapshot (repeatable read), so its
// version matches its content: every change commits its version in the same transaction.
import type { RoutingTable } from "../../shared/routing/routing-table.ts";
import type { ControlPlaneDb } from "../db/client.ts";
import { cells, partners } from "../db/schema.ts";
import { currentRoutingVersion } from "./commit-routing-change.ts";
import { routeCellOf, routePartnerOf } from "./route-entries.ts";

export async function buildRoutingTable(db: ControlPlaneDb): Promise<RoutingTable> {
  return db.transaction(
    async (tx) => {
      const version = await currentRoutingVersion(tx);
      const cellRows = await tx
        .select({ id: cells.id, state: cells.state, gateways: cells.gateways })
        .from(cells);
      const partnerRows = await tx
        .select({
          id: partners.id,
          cellId: partners.cellId,
          status: partners.status,
          frozen: partners.frozen,
        })
        .from(partners);
      return {
        version,
        cells: Object.fromEntries(cellRows.map((r) => [r.id, routeCellOf(r)])),
        partners: Object.fromEntries(partnerRows.map((r) => [r.id, routePartnerOf(r)])),
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
