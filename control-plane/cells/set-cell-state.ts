// An admin (or incident responder) sets a cell's state: active, draining (no new partners),
// closed, or down (the router answers its partners a fast 503).
import { eq } from "drizzle-orm";
import { notFound } from "../../shared/errors.ts";
import type { CellState } from "../../shared/routing/routing-table.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { cells } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routeCellOf } from "../routing/route-entries.ts";
import { partnerCountOf } from "./cell-registry.ts";

export async function setCellState(deps: ControlPlaneDeps, actor: AdminActor, id: string, state: CellState) {
  const result = await deps.db.transaction(async (tx) => {
    const before = (await tx.select().from(cells).where(eq(cells.id, id)).for("update"))[0];
    if (!before) throw notFound("cell", id);
    if (before.state === state)
      return { row: before, delta: undefined, partnerCount: await partnerCountOf(tx, id) };
    const row = (await tx.update(cells).set({ state }).where(eq(cells.id, id)).returning())[0]!;
    const delta = await commitRoutingChange(tx, { cells: { [id]: routeCellOf(row) } });
    const partnerCount = await partnerCountOf(tx, id);
    // Last in the transaction: appending holds the audit chain's lock until commit.
    await writeAudit(tx, actor, {
      action: "cell.set_state",
      target: id,
      before: { state: before.state },
      after: { state },
    });
    return { row, delta, partnerCount };
  });
  if (result.delta) publishRoutingDelta(deps.nats, result.delta, deps.logger);
  return result;
}
