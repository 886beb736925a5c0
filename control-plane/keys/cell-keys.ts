// Key rotation across cells, through each cell's internal API (/internal/v1/keys): the control
// plane holds no key material; every cell re-seals and re-encrypts its own keys. Audited.
import type { z } from "zod";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { cells } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import type { CellKeyStatus, DataKeyRotation, MasterRotationSchema } from "../schemas/keys.ts";

type MasterRotation = z.infer<typeof MasterRotationSchema>["data"][number];

export async function cellKeyStatus(deps: ControlPlaneDeps, cellId: string): Promise<CellKeyStatus> {
  const cell = await getCellOr404(deps.db, cellId);
  return callCell(cell.id, () => deps.cellClients.forCell(cell).keyStatus());
}

/**
 * Re-seals every data key of each cell (or one) under the active master of the keyring the
 * cell's gateways load: deploy the new keyring file to every gateway first. One cell at a time,
 * so a failure names the cell and the cells before it are done (running it again is harmless).
 */
export async function rotateMasterKey(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  opts: { cellId?: string | undefined },
): Promise<MasterRotation[]> {
  const targets = opts.cellId
    ? [await getCellOr404(deps.db, opts.cellId, "cell_id")]
    : await deps.db.select().from(cells);
  const done: MasterRotation[] = [];
  for (const cell of targets.sort((a, b) => a.id.localeCompare(b.id))) {
    const r = await callCell(cell.id, () => deps.cellClients.forCell(cell).rotateMaster());
    done.push({ cell_id: cell.id, ...r });
    await deps.db.transaction((tx) =>
      writeAudit(tx, actor, { action: "keys.rotate_master", target: cell.id, before: null, after: r }),
    );
  }
  return done;
}

/** A new data key in the cell now; the re-encryption of old ciphertexts runs in the cell. */
export async function rotateDataKey(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  cellId: string,
): Promise<DataKeyRotation> {
  const cell = await getCellOr404(deps.db, cellId);
  const rotation = await callCell(cell.id, () => deps.cellClients.forCell(cell).rotateData());
  await deps.db.transaction((tx) =>
    writeAudit(tx, actor, {
      action: "keys.rotate_data",
      target: cell.id,
      before: null,
      after: { rotation_id: rotation.id, to_key_id: rotation.to_key_id, total: rotation.total },
    }),
  );
  return rotation;
}

/** Deletes the cell's retired data keys that nothing references any more (the cell re-checks). */
export async function destroyRetiredDataKeys(deps: ControlPlaneDeps, actor: AdminActor, cellId: string) {
  const cell = await getCellOr404(deps.db, cellId);
  const result = await callCell(cell.id, () => deps.cellClients.forCell(cell).destroyRetiredKeys());
  await deps.db.transaction((tx) =>
    writeAudit(tx, actor, { action: "keys.destroy_retired", target: cell.id, before: null, after: result }),
  );
  return result;
}
