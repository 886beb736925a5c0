// Suspends or resumes a partner: in its cell (the cell answers 403 partner_suspended) and in the
// routing table (routers answer 403 within seconds), with one audit entry. Setting the status a
// partner already has changes nothing.

import { eq } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routePartnerOf } from "../routing/route-entries.ts";
import { getPartnerOr404, partnerAuditState } from "./partner-registry.ts";

export async function setPartnerStatus(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  id: string,
  status: "active" | "suspended",
) {
  const result = await deps.db.transaction(async (tx) => {
    const before = await getPartnerOr404(tx, id, { forUpdate: true });
    if (before.status === status) return { row: before, delta: undefined };
    const row = (await tx.update(partners).set({ status }).where(eq(partners.id, id)).returning())[0]!;
    const cell = await getCellOr404(tx, row.cellId);
    await callCell(cell.id, () => deps.cellClients.forCell(cell).updatePartner(id, { status }));
    const delta = await commitRoutingChange(tx, { partners: { [id]: routePartnerOf(row) } });
    // Last in the transaction: appending holds the audit chain's lock until commit.
    await writeAudit(tx, actor, {
      action: status === "suspended" ? "partner.suspend" : "partner.resume",
      target: id,
      before: partnerAuditState(before),
      after: partnerAuditState(row),
    });
    return { row, delta };
  });
  if (result.delta) publishRoutingDelta(deps.nats, result.delta, deps.logger);
  return result.row;
}
