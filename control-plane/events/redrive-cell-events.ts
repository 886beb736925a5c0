// An incident responder re-drives a cell's events after JetStream lost them (its store was
// deleted, the stream recreated) or a consumer missed some: the cell hands the outbox rows back to
// its relay (cell/events/redrive.ts). Audited with what was requeued.
import type { RedriveRequest, RedriveResult } from "../../shared/cell-api/contract-redrive.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import type { ControlPlaneDeps } from "../deps.ts";

export async function redriveCellEvents(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  cellId: string,
  request: RedriveRequest & { reason?: string | undefined },
): Promise<RedriveResult> {
  const cell = await getCellOr404(deps.db, cellId);
  const { reason, ...redrive } = request;
  const result = await callCell(cell.id, () => deps.cellClients.forCell(cell).redriveEvents(redrive));
  await deps.db.transaction((tx) =>
    writeAudit(tx, actor, {
      action: "cell.redrive_events",
      target: cell.id,
      before: { ...redrive, reason: reason ?? null },
      after: result,
    }),
  );
  return result;
}
