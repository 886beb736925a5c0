// A dead cell's partners all go to a cell restored from its backup (`cells restore --flip`), in ONE
// routing version. Nothing is copied: the target already holds their rows (restored from the
// source's stanza), so this is the move's final step only (activate on the target, then registry,
// routing version and audit in one transaction), for every partner at once. A partner frozen by a
// move that was running when the source died is released too: the move cannot finish without it.
import { eq } from "drizzle-orm";
import { CellApiError } from "../../shared/cell-api/cell-client.ts";
import { ApiError, invalidRequest } from "../../shared/errors.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { probeGateways } from "../cells/probe-gateways.ts";
import { partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { runningMoves } from "../moves/start-move.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routePartnerOf } from "../routing/route-entries.ts";

export interface FailoverResult {
  source_cell_id: string;
  target_cell_id: string;
  partners: string[];
  routing_version: number | null;
}

export async function failOverCell(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  sourceId: string,
  targetId: string,
): Promise<FailoverResult> {
  if (sourceId === targetId) throw invalidRequest("to", "`to` must be another cell than the failed one.");
  const source = await getCellOr404(deps.db, sourceId);
  const target = await getCellOr404(deps.db, targetId, "to");
  // A live cell is drained (its rows are copied); failing one over would drop what it wrote since the backup.
  if (source.state !== "down") {
    throw new ApiError(
      "cell_not_accepting",
      `Cell '${sourceId}' is ${source.state}, not down: set it down first (\`cells state ${sourceId} down\`), or drain it if it still serves.`,
    );
  }
  if (target.state !== "active")
    throw new ApiError("cell_not_accepting", `Cell '${targetId}' is ${target.state}: it takes no partners.`);
  const health = await probeGateways(targetId, target.gateways, deps.clock());
  if (health.status !== "ok")
    throw new ApiError("cell_not_ready", `Cell '${targetId}' is not ready: its gateways do not all answer.`, {
      param: "to",
    });
  if (runningMoves.size > 0) {
    // A move in flight could flip one of these partners after us, or copy into the target.
    throw new ApiError("move_in_progress", "Moves are running: wait for them to end before a failover.");
  }

  const moving = await deps.db.select().from(partners).where(eq(partners.cellId, sourceId));
  const cell = deps.cellClients.forCell(target);
  // Before the flip, so that no routed request meets a partner the target does not serve yet.
  for (const p of moving) {
    await callCell(targetId, () => cell.activate(p.id, p.status)).catch((err: unknown) => {
      const missing =
        err instanceof ApiError && err.cause instanceof CellApiError && err.cause.status === 404;
      throw missing
        ? new ApiError(
            "cell_not_ready",
            `Partner '${p.id}' is not in cell '${targetId}': was it restored from '${sourceId}''s backup? Nothing was flipped.`,
            { param: "to" },
          )
        : err;
    });
  }

  const { delta, ids } = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .update(partners)
      .set({ cellId: targetId, frozen: false })
      .where(eq(partners.cellId, sourceId))
      .returning();
    const ids = rows.map((r) => r.id).sort();
    const d =
      rows.length > 0
        ? await commitRoutingChange(tx, {
            partners: Object.fromEntries(rows.map((r) => [r.id, routePartnerOf(r)])),
          })
        : undefined;
    // Last in the transaction: appending holds the audit chain's lock until commit.
    await writeAudit(tx, actor, {
      action: "cell.failover",
      target: sourceId,
      before: { cell_id: sourceId, partners: ids },
      after: { cell_id: targetId, partners: ids, routing_version: d?.version ?? null },
    });
    return { delta: d, ids };
  });
  if (delta) publishRoutingDelta(deps.nats, delta, deps.logger);
  deps.logger.info(
    { cell_id: sourceId, target_cell_id: targetId, partners: ids.length, version: delta?.version },
    "cell failed over",
  );
  return {
    source_cell_id: sourceId,
    target_cell_id: targetId,
    partners: ids,
    routing_version: delta?.version ?? null,
  };
}
