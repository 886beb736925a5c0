// Registers a running cell (or updates it: the launcher calls this at every start). Its gateways
// must all answer /readyz first, and their internal listeners the internal API, each naming the
// cell; a new cell is then active and eligible for placement. An existing cell keeps the state an
// admin gave it.
import { eq } from "drizzle-orm";
import { ApiError } from "../../shared/errors.ts";
import type { AdminActor } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { cells } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { commitRoutingChange, publishRoutingDelta } from "../routing/commit-routing-change.ts";
import { routeCellOf } from "../routing/route-entries.ts";
import { type CellRow, cellAuditState, partnerCountOf } from "./cell-registry.ts";
import { probeGateways, unreadyInternalListeners } from "./probe-gateways.ts";

export interface RegisterCellInput {
  id: string;
  weight: number;
  gateways: string[];
  /** The same instances' internal listeners, for the control plane's calls and scrapes only. */
  internal_gateways: string[];
}

const withoutTrailingSlash = (urls: string[]) => [...new Set(urls.map((g) => g.replace(/\/+$/, "")))];

export async function registerCell(deps: ControlPlaneDeps, actor: AdminActor, input: RegisterCellInput) {
  const gateways = withoutTrailingSlash(input.gateways);
  const internalGateways = withoutTrailingSlash(input.internal_gateways);
  const health = await probeGateways(input.id, gateways, deps.clock());
  if (health.status !== "ok") {
    const notReady = gateways.filter((g) => !health.ready_gateways.includes(g));
    throw new ApiError(
      "cell_not_ready",
      `Cell '${input.id}' is not ready: no ready answer naming this cell from ${notReady.join(", ")}.`,
      {
        param: "gateways",
      },
    );
  }
  const unreachable = await unreadyInternalListeners(input.id, internalGateways, deps.credentials.cellAdmin);
  if (unreachable.length > 0) {
    throw new ApiError(
      "cell_not_ready",
      `Cell '${input.id}' is not ready: no internal listener naming this cell at ${unreachable.join(", ")}.`,
      { param: "internal_gateways" },
    );
  }
  const result = await deps.db.transaction(async (tx) => {
    const before = (await tx.select().from(cells).where(eq(cells.id, input.id)).for("update"))[0];
    let after: CellRow;
    const repointed =
      before &&
      (JSON.stringify(before.gateways) !== JSON.stringify(gateways) ||
        JSON.stringify(before.internalGateways) !== JSON.stringify(internalGateways));
    if (repointed && !actor.reason) {
      // Re-pointing a registered cell sends its partners' traffic elsewhere: say why.
      throw new ApiError(
        "reason_required",
        `Cell '${input.id}' is registered with other gateways: re-pointing it needs a \`reason\`.`,
        { param: "reason" },
      );
    }
    if (before) {
      after = (
        await tx
          .update(cells)
          .set({ weight: input.weight, gateways, internalGateways, health })
          .where(eq(cells.id, input.id))
          .returning()
      )[0]!;
    } else {
      after = (
        await tx
          .insert(cells)
          .values({
            id: input.id,
            state: "active",
            weight: input.weight,
            gateways,
            internalGateways,
            health,
          })
          .returning()
      )[0]!;
    }
    const routeChanged = !before || JSON.stringify(before.gateways) !== JSON.stringify(after.gateways);
    const delta = routeChanged
      ? await commitRoutingChange(tx, { cells: { [input.id]: routeCellOf(after) } })
      : undefined;
    const partnerCount = await partnerCountOf(tx, input.id);
    const changed =
      !before || JSON.stringify(cellAuditState(before)) !== JSON.stringify(cellAuditState(after));
    // Last in the transaction: appending holds the audit chain's lock until commit.
    if (changed) {
      await writeAudit(tx, actor, {
        action: before ? "cell.update" : "cell.register",
        target: input.id,
        before: before ? cellAuditState(before) : null,
        after: cellAuditState(after),
      });
    }
    return { after, created: !before, delta, partnerCount };
  });
  if (result.delta) publishRoutingDelta(deps.nats, result.delta, deps.logger);
  return result;
}
