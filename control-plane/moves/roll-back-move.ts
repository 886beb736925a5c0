// Rolls a move back before its flip: the source serves the partner again, routers stop holding
// it, and the target's partial copy is deleted. The route never pointed at the target, so the
// partner is whole on its source. If the source cannot be reached, the move is `failed` and the
// partner stays routed to its source (still frozen there until an operator acts). Either way the
// source's change log of the move is stopped when the source answers (or by the maintenance).
import { eq } from "drizzle-orm";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getPartnerOr404 } from "../partners/partner-registry.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routePartnerOf } from "../routing/route-entries.ts";
import { unfreezeOnEveryGateway } from "./freeze-source.ts";
import { getMoveOr404, type MoveProgress, type MoveRow, updateMove } from "./move-registry.ts";

/**
 * Drops the move's change-log triggers on its source and deletes its log (idempotent), and
 * records it; a source that does not answer keeps them until the maintenance's next try.
 */
export async function stopChangeLogOf(
  deps: ControlPlaneDeps,
  move: MoveRow,
  sourceCell?: Awaited<ReturnType<typeof getCellOr404>>,
): Promise<boolean> {
  try {
    const cell = sourceCell ?? (await getCellOr404(deps.db, move.sourceCellId));
    await deps.cellClients.forCell(cell).stopChangeLog(move.partnerId, deps.moveCapabilities.issue(move));
    const fresh = await getMoveOr404(deps.db, move.id);
    await updateMove(deps.db, move.id, {
      progress: { ...(fresh.progress as MoveProgress), change_log_stopped: true },
    });
    return true;
  } catch (err) {
    deps.logger.warn({ move_id: move.id, err: (err as Error).message }, "source change log not stopped yet");
    return false;
  }
}

export async function rollBackMove(deps: ControlPlaneDeps, moveId: string, reason: string): Promise<void> {
  let move: Awaited<ReturnType<typeof getMoveOr404>>;
  try {
    move = await getMoveOr404(deps.db, moveId);
  } catch (err) {
    // The control plane's own database is gone (it is shutting down): the next start rolls back.
    deps.logger.error(
      { move_id: moveId, err: (err as Error).message },
      "move left for the next start to roll back",
    );
    return;
  }
  try {
    const partner = await getPartnerOr404(deps.db, move.partnerId);
    if (partner.cellId !== move.sourceCellId) {
      // The flip committed: nothing to roll back.
      await updateMove(deps.db, move.id, { status: "completed" });
      await stopChangeLogOf(deps, move);
      return;
    }
    const sourceCell = await getCellOr404(deps.db, move.sourceCellId);
    await unfreezeOnEveryGateway(sourceCell, deps.credentials.cellAdmin, move.partnerId, partner.status);
    await stopChangeLogOf(deps, move, sourceCell);
    if (partner.frozen) {
      const delta = await deps.db.transaction(async (tx) => {
        const row = (
          await tx.update(partners).set({ frozen: false }).where(eq(partners.id, move.partnerId)).returning()
        )[0]!;
        return commitRoutingChange(tx, { partners: { [move.partnerId]: routePartnerOf(row) } });
      });
      publishRoutingDelta(deps.nats, delta, deps.logger);
    }
    const targetCell = await getCellOr404(deps.db, move.targetCellId);
    await deps.cellClients
      .forCell(targetCell)
      .purge(move.partnerId, deps.moveCapabilities.issue(move))
      .catch((err: unknown) =>
        deps.logger.warn({ err: (err as Error).message, move_id: move.id }, "target copy not purged"),
      );
    await updateMove(deps.db, move.id, { status: "rolled_back", error: reason });
  } catch (err) {
    await updateMove(deps.db, move.id, {
      status: "failed",
      error: `${reason}; rollback: ${(err as Error).message}`,
    });
  }
}
