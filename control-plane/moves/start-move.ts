// POST /admin/v1/partners/:id/move: checks the request, records the move (pending) with its audit
// entry, and runs it in the background; GET /admin/v1/moves/:id follows it.
import { ApiError, invalidRequest } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { moves } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getPartnerOr404 } from "../partners/partner-registry.ts";
import { activeMoveOf, type MoveRow } from "./move-registry.ts";
import { type MoveConfig, runMove } from "./run-move.ts";

/** Moves running in this process, so shutdown and tests can wait for them. */
export const runningMoves = new Map<string, Promise<void>>();

export async function startMove(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  partnerId: string,
  targetCellId: string,
  config?: MoveConfig,
): Promise<MoveRow> {
  const row = await deps.db.transaction(async (tx) => {
    const partner = await getPartnerOr404(tx, partnerId, { forUpdate: true });
    const target = await getCellOr404(tx, targetCellId, "target_cell_id");
    if (partner.cellId === targetCellId)
      throw invalidRequest("target_cell_id", `The partner is already on '${targetCellId}'.`);
    if (target.state !== "active" || target.health.status === "down") {
      throw new ApiError(
        "cell_not_accepting",
        `Cell '${targetCellId}' is ${target.state} and takes no partners.`,
        {
          param: "target_cell_id",
        },
      );
    }
    const running = await activeMoveOf(tx, partnerId);
    if (running)
      throw new ApiError(
        "move_in_progress",
        `Move ${running.id} of this partner is still ${running.status}.`,
      );
    const [move] = await tx
      .insert(moves)
      .values({
        id: newId("mv"),
        partnerId,
        sourceCellId: partner.cellId,
        targetCellId,
        status: "pending",
        progress: {},
      })
      .returning();
    await writeAudit(tx, actor, {
      action: "partner.move",
      target: partnerId,
      before: { cell_id: partner.cellId },
      after: { target_cell_id: targetCellId, move_id: move!.id },
    });
    return move!;
  });
  const run = runMove(deps, row.id, config).finally(() => runningMoves.delete(row.id));
  runningMoves.set(row.id, run);
  return row;
}
