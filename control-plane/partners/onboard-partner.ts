// Onboards a partner: a cell (named, or chosen by placement), the registry row, the partner
// provisioned in the cell with a first test key, and the new route, all or nothing: the registry
// transaction commits only after the cell said yes, so a failed cell call leaves no trace here.
import { eq } from "drizzle-orm";
import { LATEST_API_VERSION } from "../../shared/api-versions.ts";
import { ApiError, conflict, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { listCellsWithCounts } from "../cells/cell-registry.ts";
import type { Tx } from "../db/client.ts";
import { cells, partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routePartnerOf } from "../routing/route-entries.ts";
import { partnerAuditState } from "./partner-registry.ts";
import { choosePlacement } from "./placement.ts";

export async function onboardPartner(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  input: { name: string; cellId?: string | undefined },
) {
  const id = newId("ptr", deps.clock().getTime());
  // New partners start on the newest API version; existing ones keep the one they are pinned to.
  const settings = { api_version: LATEST_API_VERSION };
  let provisionedIn: { id: string; internalGateways: string[] } | undefined;
  try {
    const result = await deps.db.transaction(async (tx) => {
      const cell = await lockTargetCell(tx, input.cellId, deps.random);
      const row = (
        await tx.insert(partners).values({ id, name: input.name, cellId: cell.id, settings }).returning()
      )[0]!;
      const provisioned = await callCell(cell.id, () =>
        deps.cellClients
          .forCell(cell)
          .provisionPartner({ id, name: input.name, settings, first_key_mode: "test" }),
      );
      provisionedIn = cell;
      if (!provisioned.api_key)
        throw new ApiError("cell_request_failed", `Cell '${cell.id}' issued no first key.`);
      const delta = await commitRoutingChange(tx, { partners: { [id]: routePartnerOf(row) } });
      // Last in the transaction: appending holds the audit chain's lock until commit.
      await writeAudit(tx, actor, {
        action: "partner.create",
        target: id,
        before: null,
        after: partnerAuditState(row),
      });
      return { row, apiKey: provisioned.api_key, delta };
    });
    publishRoutingDelta(deps.nats, result.delta, deps.logger);
    return result;
  } catch (err) {
    // The cell has the partner but the registry does not: suspend it there so it cannot be used.
    if (provisionedIn) {
      const cellId = provisionedIn.id;
      await deps.cellClients
        .forCell(provisionedIn)
        .updatePartner(id, { status: "suspended" })
        .catch((e: unknown) =>
          deps.logger.error(
            { partner_id: id, cell_id: cellId, err: (e as Error).message },
            "orphan partner left in cell",
          ),
        );
    }
    throw err;
  }
}

/** The cell the partner goes to, locked against a concurrent state change until commit. */
async function lockTargetCell(tx: Tx, named: string | undefined, random: () => number) {
  let cellId = named;
  if (cellId === undefined) {
    const candidates = await listCellsWithCounts(tx);
    cellId = choosePlacement(
      candidates.map(({ row, partnerCount }) => ({
        id: row.id,
        state: row.state,
        weight: row.weight,
        healthStatus: row.health.status,
        partnerCount,
      })),
      random,
    );
    if (cellId === undefined) throw conflict("cell_not_accepting", "No cell accepts new partners right now.");
  }
  const cell = (await tx.select().from(cells).where(eq(cells.id, cellId)).for("share"))[0];
  if (!cell) throw notFound("cell", cellId, "cell_id");
  if (cell.state !== "active") {
    throw new ApiError(
      "cell_not_accepting",
      `Cell '${cellId}' is ${cell.state} and accepts no new partners.`,
      {
        param: "cell_id",
      },
    );
  }
  return cell;
}
