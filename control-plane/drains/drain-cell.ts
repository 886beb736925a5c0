// Draining a cell: mark it draining (no new partners; routing version), then move every partner
// out, a few at a time, each to the cell placement picks. Progress lives in the drain row.
// A down cell cannot be drained (nothing can be copied from it): the routers already answer its
// partners a fast 503 cell_unavailable, and the runbook in the README says how to bring it back.
import { eq } from "drizzle-orm";
import { ApiError, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { AdminActor } from "../app-env.ts";
import { listCellsWithCounts } from "../cells/cell-registry.ts";
import { setCellState } from "../cells/set-cell-state.ts";
import { cells, drains, partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getMoveOr404 } from "../moves/move-registry.ts";
import { runningMoves, startMove } from "../moves/start-move.ts";
import { choosePlacement } from "../partners/placement.ts";

export interface DrainProgress {
  total: number;
  moved: number;
  failed: number;
  moving: string[];
  failures: { partner_id: string; error: string }[];
}

export type DrainRow = typeof drains.$inferSelect;

export const runningDrains = new Map<string, Promise<void>>();

export async function startDrain(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  cellId: string,
  parallelism = 2,
): Promise<DrainRow> {
  const [cell] = await deps.db.select().from(cells).where(eq(cells.id, cellId));
  if (!cell) throw notFound("cell", cellId);
  if (cell.state === "down") {
    throw new ApiError(
      "cell_not_accepting",
      `Cell '${cellId}' is down: nothing can be copied from it. Restore it first (README: incident runbook).`,
    );
  }
  const running = [...runningDrains.keys()];
  for (const id of running) {
    const [d] = await deps.db.select().from(drains).where(eq(drains.id, id));
    if (d?.cellId === cellId)
      throw new ApiError("move_in_progress", `Drain ${id} of this cell is still running.`);
  }
  await setCellState(deps, actor, cellId, "draining");
  const total = (await deps.db.select({ id: partners.id }).from(partners).where(eq(partners.cellId, cellId)))
    .length;
  const progress: DrainProgress = { total, moved: 0, failed: 0, moving: [], failures: [] };
  const [row] = await deps.db
    .insert(drains)
    .values({ id: newId("dr"), cellId, status: "running", progress })
    .returning();
  const run = runDrain(deps, actor, row!.id, cellId, parallelism, progress).finally(() =>
    runningDrains.delete(row!.id),
  );
  runningDrains.set(row!.id, run);
  return row!;
}

async function runDrain(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  drainId: string,
  cellId: string,
  parallelism: number,
  progress: DrainProgress,
): Promise<void> {
  const save = (status?: string) =>
    deps.db
      .update(drains)
      .set({ progress, updatedAt: new Date(), ...(status ? { status } : {}) })
      .where(eq(drains.id, drainId));
  const queue = (
    await deps.db.select({ id: partners.id }).from(partners).where(eq(partners.cellId, cellId))
  ).map((p) => p.id);

  async function moveOne(partnerId: string) {
    progress.moving.push(partnerId);
    await save();
    try {
      const counts = await listCellsWithCounts(deps.db);
      const target = choosePlacement(
        counts.map(({ row, partnerCount }) => ({
          id: row.id,
          state: row.state,
          weight: row.weight,
          healthStatus: row.health.status,
          partnerCount,
        })),
        deps.random,
      );
      if (!target) throw new Error("no cell accepts partners");
      const move = await startMove(deps, actor, partnerId, target);
      await runningMoves.get(move.id);
      const done = await getMoveOr404(deps.db, move.id);
      if (done.status !== "completed") throw new Error(done.error ?? done.status);
      progress.moved++;
    } catch (err) {
      progress.failed++;
      progress.failures.push({ partner_id: partnerId, error: (err as Error).message });
    } finally {
      progress.moving = progress.moving.filter((p) => p !== partnerId);
      await save();
    }
  }

  const workers = Array.from({ length: Math.max(1, parallelism) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await moveOne(next);
  });
  await Promise.all(workers);
  await save(progress.failed === 0 ? "completed" : "failed");
}

export const drainView = (row: DrainRow) => ({
  id: row.id,
  object: "drain" as const,
  cell_id: row.cellId,
  status: row.status,
  progress: row.progress as DrainProgress,
  created: Math.floor(row.createdAt.getTime() / 1000),
  updated: Math.floor(row.updatedAt.getTime() / 1000),
});
