// Every few seconds, asks each cell's gateways for /readyz and records the cell's health. A cell
// whose gateways all fail is health `down` (placement skips it); its state stays as set by admins.
import { eq } from "drizzle-orm";
import { cells } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { probeGateways } from "./probe-gateways.ts";

export function startHealthChecker(deps: ControlPlaneDeps, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let busy = false;
  let running: Promise<void> = Promise.resolve();
  const round = async () => {
    const rows = await deps.db
      .select({ id: cells.id, gateways: cells.gateways, health: cells.health })
      .from(cells);
    await Promise.all(
      rows.map(async (cell) => {
        const health = await probeGateways(cell.id, cell.gateways, deps.clock());
        if (health.status !== cell.health.status) {
          deps.logger.warn(
            { cell_id: cell.id, from: cell.health.status, to: health.status },
            "cell health changed",
          );
        }
        await deps.db.update(cells).set({ health }).where(eq(cells.id, cell.id));
      }),
    );
  };
  const timer = setInterval(() => {
    if (stopped || busy) return; // a slow round is never overlapped by the next one
    busy = true;
    running = round()
      .catch((err: unknown) => deps.logger.warn({ err: (err as Error).message }, "cell health check failed"))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
