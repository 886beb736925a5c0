// Going live, an admin act: the partner's settings name its live connector (stored here, pushed to
// its cell, which routes live-mode payments there) and its first live key is issued, returned once.
// Onboarding issues a test key only; until this runs, live keys cannot be had (rotate-key refuses).
import { eq } from "drizzle-orm";
import { ApiError } from "../../shared/errors.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getPartnerOr404, partnerAuditState } from "./partner-registry.ts";
import type { PartnerSettings } from "./set-partner-limits.ts";

export const isLiveEnabled = (settings: unknown) =>
  typeof (settings as PartnerSettings | null)?.live_connector === "string";

export async function enablePartnerLive(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  id: string,
  opts: { connector: string },
) {
  return deps.db.transaction(async (tx) => {
    const before = await getPartnerOr404(tx, id, { forUpdate: true });
    if (isLiveEnabled(before.settings)) {
      throw new ApiError(
        "partner_live_already",
        `Partner '${id}' is live already (connector '${(before.settings as PartnerSettings).live_connector}'); issue more live keys with rotate-key --mode live.`,
      );
    }
    const settings: PartnerSettings = {
      ...(before.settings as PartnerSettings),
      live_connector: opts.connector,
    };
    const row = (await tx.update(partners).set({ settings }).where(eq(partners.id, id)).returning())[0]!;
    const cell = await getCellOr404(tx, row.cellId);
    const client = deps.cellClients.forCell(cell);
    await callCell(cell.id, () => client.updatePartner(id, { settings }));
    const issued = await callCell(cell.id, () => client.issueKey(id, "live"));
    // Last in the transaction: appending holds the audit chain's lock until commit.
    await writeAudit(tx, actor, {
      action: "partner.enable_live",
      target: id,
      before: partnerAuditState(before),
      after: { ...partnerAuditState(row), live_key_id: issued.key_id },
    });
    return { partner_id: id, live_connector: opts.connector, key_id: issued.key_id, api_key: issued.api_key };
  });
}
