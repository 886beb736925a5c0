// A partner's API keys live in its cell (only hashes, there): list them, or rotate (issue a new
// key, returned once, and optionally revoke an old one). Rotations are audited here.
import { ApiError } from "../../shared/errors.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { isLiveEnabled } from "./enable-live.ts";
import { getPartnerOr404 } from "./partner-registry.ts";

export async function listPartnerKeys(deps: ControlPlaneDeps, id: string) {
  const partner = await getPartnerOr404(deps.db, id);
  const cell = await getCellOr404(deps.db, partner.cellId);
  return callCell(cell.id, () => deps.cellClients.forCell(cell).listKeys(id));
}

export async function rotatePartnerKey(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  id: string,
  opts: { mode: "test" | "live"; revokeKeyId?: string | undefined },
) {
  return deps.db.transaction(async (tx) => {
    const partner = await getPartnerOr404(tx, id, { forUpdate: true });
    if (opts.mode === "live" && !isLiveEnabled(partner.settings)) {
      throw new ApiError(
        "live_mode_not_enabled",
        `Partner '${id}' is not live: its first live key comes from enable-live (an audited admin act).`,
      );
    }
    const cell = await getCellOr404(tx, partner.cellId);
    const client = deps.cellClients.forCell(cell);
    const revokeKeyId = opts.revokeKeyId;
    if (revokeKeyId !== undefined) {
      // Check before issuing, so a bad key id does not leave a new key nobody saw.
      const keys = await callCell(cell.id, () => client.listKeys(id));
      if (!keys.data.some((k) => k.key_id === revokeKeyId)) {
        throw new ApiError("resource_not_found", `No such key of partner '${id}': '${revokeKeyId}'`, {
          param: "revoke_key_id",
        });
      }
    }
    const issued = await callCell(cell.id, () => client.issueKey(id, opts.mode));
    if (revokeKeyId !== undefined) await callCell(cell.id, () => client.revokeKey(id, revokeKeyId));
    await writeAudit(tx, actor, {
      action: "partner.rotate_key",
      target: id,
      before: null,
      after: { key_id: issued.key_id, mode: opts.mode, revoked_key_id: revokeKeyId ?? null },
    });
    return {
      partner_id: id,
      key_id: issued.key_id,
      api_key: issued.api_key,
      revoked_key_id: revokeKeyId ?? null,
    };
  });
}
