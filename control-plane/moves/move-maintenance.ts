// At start: every move a previous control plane left unfinished is rolled back (the route never
// pointed at its target before the flip, so the partner is whole on its source). Then, every
// interval: change logs a finished move left on its source (the source did not answer the stop)
// are stopped, and source copies of completed moves past their retention are purged.
import { and, eq, inArray } from "drizzle-orm";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { moves } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { type MoveProgress, unfinishedStatuses, updateMove } from "./move-registry.ts";
import { rollBackMove, stopChangeLogOf } from "./roll-back-move.ts";
import { runningMoves } from "./start-move.ts";

export async function rollBackUnfinishedMoves(deps: ControlPlaneDeps): Promise<number> {
  const rows = await deps.db.select().from(moves).where(inArray(moves.status, unfinishedStatuses));
  for (const row of rows) {
    if (runningMoves.has(row.id)) continue;
    deps.logger.warn({ move_id: row.id, status: row.status }, "unfinished move found at start; rolling back");
    await rollBackMove(deps, row.id, `control plane restarted during '${row.status}'`);
  }
  return rows.length;
}

/** Stops the source change log of every finished move that still has one (idempotent on cells). */
export async function stopLeftoverChangeLogs(deps: ControlPlaneDeps): Promise<number> {
  const rows = await deps.db
    .select()
    .from(moves)
    .where(inArray(moves.status, ["completed", "rolled_back", "failed"]));
  let stopped = 0;
  for (const row of rows) {
    const progress = row.progress as MoveProgress;
    // Moves from before the change log (no cursor) never had one.
    if (progress.change_log_stopped || progress.change_cursor === undefined) continue;
    if (await stopChangeLogOf(deps, row)) stopped++;
  }
  return stopped;
}

export async function purgeExpiredSources(deps: ControlPlaneDeps, now = new Date()): Promise<number> {
  const rows = await deps.db
    .select()
    .from(moves)
    .where(and(eq(moves.status, "completed")));
  let purged = 0;
  for (const row of rows) {
    const progress = row.progress as MoveProgress;
    if (progress.purged || !progress.purge_after || new Date(progress.purge_after) > now) continue;
    try {
      const source = await getCellOr404(deps.db, row.sourceCellId);
      await deps.cellClients.forCell(source).purge(row.partnerId, deps.moveCapabilities.issue(row));
      await updateMove(deps.db, row.id, { progress: { ...progress, purged: true } });
      purged++;
    } catch (err) {
      deps.logger.warn({ move_id: row.id, err: (err as Error).message }, "source copy not purged yet");
    }
  }
  return purged;
}

export function startMoveMaintenance(deps: ControlPlaneDeps, intervalMs = 30_000) {
  const timer = setInterval(() => {
    stopLeftoverChangeLogs(deps)
      .then(() => purgeExpiredSources(deps))
      .catch((err: unknown) => deps.logger.warn({ err: (err as Error).message }, "purge pass failed"));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
