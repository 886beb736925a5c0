// Sets a partner's limits: stored in the registry and pushed to its cell, which enforces them.
// Fields not given keep their value.
import { eq } from "drizzle-orm";
import type { z } from "zod";
import type { partnerSettingsInput } from "../../shared/cell-api/contract.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { callCell } from "../cells/cell-errors.ts";
import { getCellOr404 } from "../cells/cell-registry.ts";
import { partners } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { getPartnerOr404, partnerAuditState } from "./partner-registry.ts";

export type PartnerSettings = z.infer<typeof partnerSettingsInput>;

export async function setPartnerLimits(
  deps: ControlPlaneDeps,
  actor: AdminActor,
  id: string,
  limits: Pick<PartnerSettings, "rate_limit" | "max_concurrency">,
) {
  return deps.db.transaction(async (tx) => {
    const before = await getPartnerOr404(tx, id, { forUpdate: true });
    const settings: PartnerSettings = { ...(before.settings as PartnerSettings), ...limits };
    const row = (await tx.update(partners).set({ settings }).where(eq(partners.id, id)).returning())[0]!;
    const cell = await getCellOr404(tx, row.cellId);
    await callCell(cell.id, () => deps.cellClients.forCell(cell).updatePartner(id, { settings }));
    // Last in the transaction: appending holds the audit chain's lock until commit.
    await writeAudit(tx, actor, {
      action: "partner.set_limits",
      target: id,
      before: partnerAuditState(before),
      after: partnerAuditState(row),
    });
    return row;
  });
}
