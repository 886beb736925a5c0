// Moves one partner to another cell while it keeps sending traffic:
//   copying      every row, in pages (the partner keeps working on its source cell);
//   catching_up  rows written since, by source transaction id, until little is left;
//   frozen       routers hold the partner's requests; the source refuses it and drains its
//                in-flight requests and worker backlog; the last changes are copied;
//   verifying    counts and checksums of every request-path table match on both cells;
//   completed    the target takes the partner, the route flips (new version) and routers
//                release the held requests there; the source keeps a read-only copy until purge.
// Any failure before the flip rolls back: the partner stays whole on its source cell.
import { eq } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { moves, partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getPartnerOr404 } from "../partners/partner-registry.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routePartnerOf } from "../routing/route-entries.ts";
import { compareChecksums, copyPartnerRows, sourceXid } from "./copy-partner.ts";
import { freezeOnEveryGateway, waitNoRequestsInFlight, waitWorkersCaughtUp } from "./freeze-source.ts";
import { getMoveOr404, type MoveProgress, updateMove } from "./move-registry.ts";
import { rollBackMove } from "./roll-back-move.ts";

export interface MoveConfig {
  /** Time for routers to apply the freeze delta before the source starts refusing. */
  propagationMs: number;
  freezeTimeoutMs: number;
  /** How long the source keeps its read-only copy after the flip. */
  retentionMs: number;
}

export const defaultMoveConfig: MoveConfig = {
  propagationMs: 150,
  freezeTimeoutMs: 10_000,
  retentionMs: 24 * 3600_000,
};

const SYSTEM_ACTOR: AdminActor = { tokenId: "system", name: "move engine", role: "system" };

async function setFrozen(deps: ControlPlaneDeps, partnerId: string, frozen: boolean): Promise<number> {
  const delta = await deps.db.transaction(async (tx) => {
    const row = (await tx.update(partners).set({ frozen }).where(eq(partners.id, partnerId)).returning())[0]!;
    return commitRoutingChange(tx, { partners: { [partnerId]: routePartnerOf(row) } });
  });
  publishRoutingDelta(deps.nats, delta, deps.logger);
  return delta.version;
}

export async function runMove(
  deps: ControlPlaneDeps,
  moveId: string,
  config: MoveConfig = defaultMoveConfig,
) {
  const move = await getMoveOr404(deps.db, moveId);
  const log = deps.logger.child({ move_id: move.id, partner_id: move.partnerId });
  const progress: MoveProgress = { ...(move.progress as MoveProgress) };
  const save = (status: Parameters<typeof updateMove>[2]["status"]) =>
    updateMove(deps.db, move.id, { ...(status ? { status } : {}), progress });
  try {
    const partner = await getPartnerOr404(deps.db, move.partnerId);
    const sourceCell = await getCellOr404(deps.db, move.sourceCellId);
    const targetCell = await getCellOr404(deps.db, move.targetCellId);
    const source = deps.cellClients.forCell(sourceCell);
    const target = deps.cellClients.forCell(targetCell);

    progress.since_xid = await sourceXid(source);
    await save("copying");
    const capability = () => deps.moveCapabilities.issue(move);
    progress.rows_copied = await copyPartnerRows(source, target, move.partnerId, {
      capability,
      onTable: async (done, total, rows) => {
        Object.assign(progress, { tables_done: done, tables_total: total, rows_copied: rows });
        await save(undefined);
      },
    });

    await save("catching_up");
    for (let pass = 1; pass <= 5; pass++) {
      const xid = await sourceXid(source);
      const n = await copyPartnerRows(source, target, move.partnerId, {
        capability,
        sinceXid: progress.since_xid,
      });
      Object.assign(progress, {
        since_xid: xid,
        catch_up_passes: pass,
        rows_copied: (progress.rows_copied ?? 0) + n,
      });
      await save(undefined);
      if (n < 100) break;
    }

    // The freeze: from here until the flip the partner waits (only this partner).
    const frozenAt = Date.now();
    progress.frozen_at = new Date(frozenAt).toISOString();
    await save("frozen");
    await setFrozen(deps, move.partnerId, true);
    await new Promise((r) => setTimeout(r, config.propagationMs));
    await freezeOnEveryGateway(sourceCell, deps.credentials.cellAdmin, move.partnerId);
    await waitNoRequestsInFlight(
      sourceCell,
      deps.credentials.cellAdmin,
      move.partnerId,
      config.freezeTimeoutMs,
    );
    if (!(await waitWorkersCaughtUp(source, move.partnerId, 3000)))
      log.warn("source workers still behind at the final copy");
    const n = await copyPartnerRows(source, target, move.partnerId, {
      capability,
      sinceXid: progress.since_xid,
    });
    progress.rows_copied = (progress.rows_copied ?? 0) + n;

    await save("verifying");
    const check = await compareChecksums(source, target, move.partnerId);
    progress.checksums = check.tables;
    if (!check.match)
      throw new Error(
        `checksums differ: ${check.tables
          .filter((t) => !t.match)
          .map((t) => t.table)
          .join(", ")}`,
      );
    await target.activate(move.partnerId, partner.status);

    // The flip: registry, routing version and move status in one transaction.
    const stallMs = Date.now() - frozenAt;
    const purgeAfter = new Date(Date.now() + config.retentionMs);
    const delta = await deps.db.transaction(async (tx) => {
      const before = await getPartnerOr404(tx, move.partnerId, { forUpdate: true });
      const row = (
        await tx
          .update(partners)
          .set({ cellId: move.targetCellId, frozen: false })
          .where(eq(partners.id, move.partnerId))
          .returning()
      )[0]!;
      const d = await commitRoutingChange(tx, { partners: { [move.partnerId]: routePartnerOf(row) } });
      Object.assign(progress, {
        flipped_at: new Date().toISOString(),
        routing_version: d.version,
        purge_after: purgeAfter.toISOString(),
      });
      await tx
        .update(moves)
        .set({ status: "completed", progress, stallMs, updatedAt: new Date() })
        .where(eq(moves.id, move.id));
      await writeAudit(tx, SYSTEM_ACTOR, {
        action: "partner.moved",
        target: move.partnerId,
        before: { cell_id: before.cellId },
        after: { cell_id: row.cellId, move_id: move.id },
      });
      return d;
    });
    publishRoutingDelta(deps.nats, delta, deps.logger);
    log.info({ stall_ms: stallMs, rows: progress.rows_copied }, "partner moved");
  } catch (err) {
    log.error({ err: (err as Error).message }, "move failed; rolling back");
    await rollBackMove(deps, move.id, (err as Error).message);
  }
}
