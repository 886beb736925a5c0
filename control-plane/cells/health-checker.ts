// Every few seconds, asks each cell's gateways for /readyz and records the cell's health. A cell
// whose gateways all fail is health `down` (placement skips it); its state stays as set by admins.
// The same round reads the cell's database role layout from its internal API (the gateways ask
// their primary, so the control plane needs no path to Patroni); a change of primary is a
// failover, written to the audit log by the system actor and kept for the alert rules.
import { eq } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { type CellHealth, cells } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { detectFailover } from "./database-failover.ts";
import { probeGateways } from "./probe-gateways.ts";

const SYSTEM_ACTOR: AdminActor = { tokenId: "system", name: "health checker", role: "system" };
const LAYOUT_TIMEOUT_MS = 2000;

type CellRow = { id: string; gateways: string[]; internalGateways: string[]; health: CellHealth };

async function checkCell(deps: ControlPlaneDeps, cell: CellRow): Promise<void> {
  const now = deps.clock();
  const [health, layout] = await Promise.all([
    probeGateways(cell.id, cell.gateways, now),
    cell.internalGateways.length === 0
      ? Promise.resolve(undefined)
      : deps.cellClients
          .forCell(cell)
          .databaseLayout(LAYOUT_TIMEOUT_MS)
          .catch((err: unknown) => {
            deps.logger.debug({ cell_id: cell.id, err: (err as Error).message }, "database layout unread");
            return undefined;
          }),
  ]);
  if (health.status !== cell.health.status) {
    deps.logger.warn(
      { cell_id: cell.id, from: cell.health.status, to: health.status },
      "cell health changed",
    );
  }
  const previous = cell.health.database;
  const failover = layout ? detectFailover(previous, layout, now) : undefined;
  const next: CellHealth = {
    ...health,
    ...((layout ?? previous) ? { database: layout ?? previous } : {}),
    ...((failover ?? cell.health.last_failover)
      ? { last_failover: failover ?? cell.health.last_failover }
      : {}),
  };
  if (!failover) {
    await deps.db.update(cells).set({ health: next }).where(eq(cells.id, cell.id));
    return;
  }
  deps.logger.warn({ cell_id: cell.id, from: failover.from, to: failover.to }, "cell database failed over");
  await deps.db.transaction(async (tx) => {
    await tx.update(cells).set({ health: next }).where(eq(cells.id, cell.id));
    await writeAudit(tx, SYSTEM_ACTOR, {
      action: "cell.database_failover",
      target: cell.id,
      before: { primary: failover.from },
      after: { primary: failover.to },
    });
  });
}

export function startHealthChecker(deps: ControlPlaneDeps, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let busy = false;
  let running: Promise<void> = Promise.resolve();
  const round = async () => {
    const rows = await deps.db
      .select({
        id: cells.id,
        gateways: cells.gateways,
        internalGateways: cells.internalGateways,
        health: cells.health,
      })
      .from(cells);
    await Promise.all(rows.map((cell) => checkCell(deps, cell)));
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
