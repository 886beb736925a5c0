// DELETE /internal/v1/partners/:id: deletes every row of the partner in this cell (a rolled-back
// move's partial copy, or a moved partner's source copy after its retention). Needs a move
// capability of that partner naming this cell: the cell-admin credential alone deletes nothing.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { partnerIdParams, purgeResponse } from "../../../../shared/cell-api/contract.ts";
import { forgetPartnerKeys } from "../../../partners/partner-admin.ts";
import { purgePartner } from "../../../partners/partner-copy.ts";
import type { AppEnv } from "../../app-env.ts";
import { requireMoveCapability } from "../move-capability-check.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const purgePartnerRoute = createRoute({
  ...internalRouteBase,
  method: "delete",
  path: "/partners/{id}",
  summary: "Purge a partner's rows from this cell (move capability: this cell as source or target)",
  request: { params: partnerIdParams },
  responses: { 200: json(purgeResponse, "Rows deleted"), ...internalErrors },
});

export function registerPurgePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(purgePartnerRoute, async (c) => {
    const { id } = c.req.valid("param");
    requireMoveCapability(c, id, "source or target");
    const { sql, redis, frozenPartners } = c.get("deps");
    await forgetPartnerKeys(sql, redis, id);
    frozenPartners.delete(id);
    return c.json({ partner_id: id, deleted: await purgePartner(sql, id) }, 200);
  });
}
