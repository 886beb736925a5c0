// GET /internal/v1/partners/:id/export/:table: one page of a partner's rows, in primary-key order
// after `after`; with since_xid, only rows written since. Needs a move capability naming this
// cell as the move's source.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { exportPageResponse, exportQuery, partnerTableParams } from "../../../../shared/cell-api/contract.ts";
import { exportRows } from "../../../partners/partner-copy.ts";
import type { AppEnv } from "../../app-env.ts";
import { requireMoveCapability } from "../move-capability-check.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";
import { partnerTableOr400 } from "./partner-table.ts";

export const exportRowsRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}/export/{table}",
  summary: "Export a page of a partner's rows (move capability: this cell as source)",
  request: { params: partnerTableParams, query: exportQuery },
  responses: { 200: json(exportPageResponse, "A page of rows"), ...internalErrors },
});

export function registerExportRows(app: OpenAPIHono<AppEnv>) {
  app.openapi(exportRowsRoute, async (c) => {
    const { id, table } = c.req.valid("param");
    requireMoveCapability(c, id, "source");
    const t = partnerTableOr400(table);
    const query = c.req.valid("query");
    const page = await exportRows(c.get("deps").sql, t, id, {
      after: query.after,
      sinceXid: query.since_xid,
      limit: query.limit,
    });
    return c.json(page, 200);
  });
}
