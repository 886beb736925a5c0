// Moves one partner to another cell while it keeps sending traffic:
//   copying      the source starts a change log (per-move row triggers that write the key of
//                every row of the partner that changes), then every row is copied, in pk pages;
//   catching_up  the keys the log saw since the previous pass, until a pass copies < 100 rows;
//                then, still unfrozen, the rows the log never saw are verified on both cells;
//   frozen       routers hold the partner's requests; the source refuses it and drains its
//                in-flight requests and worker backlog; the last logged changes are copied;
//   verifying    the rows of every logged key match on both cells (counts and hash sums);
//   completed    the target takes the partner, the route flips (new version) and routers
//                release the held requests there; the source keeps a read-only copy until purge.
// Any failure before the flip rolls back: the partner stays whole on its source cell.
//
// Why checking only logged keys under the freeze is enough: the log's triggers exist before the
// bulk copy reads anything, so a row whose key is never logged was not written since before the
// bulk copy read it; the check before the freeze proves every such row equal on the target (the
// source's sums and its key set K come from one snapshot; the target's are all rows minus K, the
// sums being additive). The target is written only by this move, and after the bulk copy only
// for logged keys (upserts and deletions). Keys only join the log, so every row outside the final
// key set was outside K and is still as verified; every key in it is checked under the freeze,
// when the source no longer changes. The freeze thus costs what the partner changed during the
// move, not what it holds (a 1 M-payment partner used to scan every row by xmin while frozen).
import { eq } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { moves, partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getPartnerOr404 } from "../partners/partner-registry.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routePartnerOf } from "../routing/route-entries.ts";
import { copyPartnerChanges, copyPartnerRows, sourceXid } from "./copy-partner.ts";
import { freezeOnEveryGateway, waitNoRequestsInFlight, waitWorkersCaughtUp } from "./freeze-source.ts";
import { getMoveOr404, type MoveProgress, updateMove } from "./move-registry.ts";
import { rollBackMove, stopChangeLogOf } from "./roll-back-move.ts";
import { type TableCheck, verifyChanged, verifyUnchanged } from "./verify-partner.ts";

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

const differing = (tables: TableCheck[]) =>
  tables
    .filter((t) => !t.match)
    .map((t) => t.table)
    .join(", ");

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
    progress.change_cursor = await source.startChangeLog(move.partnerId, capability());
    progress.rows_copied = await copyPartnerRows(source, target, move.partnerId, {
      capability,
      onTable: async (done, total, rows) => {
        Object.assign(progress, { tables_done: done, tables_total: total, rows_copied: rows });
        await save(undefined);
      },
    });

    await save("catching_up");
    // A pass reads the log from the oldest source transaction running when the previous pass
    // began (a change committed late is never skipped); data_keys, by xmin from its xid.
    const catchUp = async () => {
      const [cursor, xid] = await Promise.all([
        source.changeCursor(move.partnerId, capability()),
        sourceXid(source),
      ]);
      const n = await copyPartnerChanges(source, target, move.partnerId, {
        capability,
        sinceXid8: progress.change_cursor ?? 0,
        sinceXid: progress.since_xid ?? 0,
      });
      Object.assign(progress, {
        change_cursor: cursor,
        since_xid: xid,
        rows_copied: (progress.rows_copied ?? 0) + n,
      });
      return n;
    };
    for (let pass = 1; pass <= 5; pass++) {
      const n = await catchUp();
      progress.catch_up_passes = pass;
      await save(undefined);
      if (n < 100) break;
    }
    const before = await verifyUnchanged(source, target, move.partnerId, capability);
    progress.checksums = before.tables;
    await save(undefined);
    if (!before.match) throw new Error(`checksums differ before the freeze: ${differing(before.tables)}`);

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
    await catchUp();

    await save("verifying");
    const check = await verifyChanged(source, target, move.partnerId, capability);
    // Per table: every row (unchanged + changed), matching when both parts match.
    const changedByTable = new Map(check.tables.map((t) => [t.table, t]));
    progress.checksums = before.tables.map((t) => {
      const c = changedByTable.get(t.table);
      return { table: t.table, count: t.count + (c?.count ?? 0), match: t.match && (c?.match ?? false) };
    });
    if (!check.match) throw new Error(`checksums differ: ${differing(check.tables)}`);
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
    // After the flip: the source's triggers go (the maintenance retries if the source is away).
    await stopChangeLogOf(deps, move, sourceCell);
  } catch (err) {
    log.error({ err: (err as Error).message }, "move failed; rolling back");
    await rollBackMove(deps, move.id, (err as Error).message);
  }
}
