// Pins a partner to a dated API version: stored with its settings in the registry and pushed to
// its cell, which answers in that version from then on (within the cell's key-cache TTL). Its
// webhook endpoints keep their own versions: the partner moves them when its handlers are ready.
import { eq } from "drizzle-orm";
import type { ApiVersion } from "../../shared/api-versions.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getPartnerOr404, partnerAuditState } from "./partner-registry.ts";
import type { PartnerSettings } from "./set-partner-limits.ts";

export async function setPartnerVersion(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  id: string,
  apiVersion: ApiVersion,
) {
  return deps.db.transaction(async (tx) => {
    const before = await getPartnerOr404(tx, id, { forUpdate: true });
    const settings: PartnerSettings = { ...(before.settings as PartnerSettings), api_version: apiVersion };
    const row = (await tx.update(partners).set({ settings }).where(eq(partners.id, id)).returning())[0]!;
    const cell = await getCellOr404(tx, row.cellId);
    await callCell(cell.id, () =>
      deps.cellClients.forCell(cell).updatePartner(id, { settings: { api_version: apiVersion } }),
    );
    // Last in the transaction: appending holds the audit chain's lock until commit.
    await writeAudit(tx, actor, {
      action: "partner.set_api_version",
      target: id,
      before: partnerAuditState(before),
      after: partnerAuditState(row),
    });
    return row;
  });
}
