// GET /internal/v1/partners/:id/changes/:table: one page of the keys the move's change log saw
// for the table from a source transaction on: their current rows, and those deleted. Needs a
// move capability naming this cell as the move's source; the move is the capability's.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  changesPageResponse,
  changesQuery,
  partnerTableParams,
} from "../../../../shared/cell-api/contract.ts";
import { invalidRequest } from "../../../../shared/errors.ts";
import { exportChanges } from "../../../partners/change-log.ts";
import type { AppEnv } from "../../app-env.ts";
import { requireMoveCapability } from "../move-capability-check.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";
import { partnerTableOr400 } from "./partner-table.ts";

export const exportChangesRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}/changes/{table}",
  summary: "Export a page of a partner's logged changes (move capability: this cell as source)",
  request: { params: partnerTableParams, query: changesQuery },
  responses: { 200: json(changesPageResponse, "A page of changed rows and deleted keys"), ...internalErrors },
});

export function registerExportChanges(app: OpenAPIHono<AppEnv>) {
  app.openapi(exportChangesRoute, async (c) => {
    const { id, table } = c.req.valid("param");
    const claims = requireMoveCapability(c, id, "source");
    const t = partnerTableOr400(table);
    if (!t.partnerColumn) throw invalidRequest("table", `'${t.table}' has no change log (read it by xid).`);
    const q = c.req.valid("query");
    const page = await exportChanges(c.get("deps").sql, t, id, claims.move_id, {
      sinceXid8: q.since_xid8,
      afterSeq: q.after_seq,
      limit: q.limit,
    });
    return c.json(page, 200);
  });
}
