// DELETE /internal/v1/partners/:id/freeze: a rolled-back move; the partner is served here again.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { freezeResponse, partnerIdParams, unfreezeRequest } from "../../../../shared/cell-api/contract.ts";
import { releasePartner } from "../../../partners/partner-freeze.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";

export const unfreezePartnerRoute = createRoute({
  ...internalRouteBase,
  method: "delete",
  path: "/partners/{id}/freeze",
  summary: "End a partner's freeze (status active unless given)",
  request: { params: partnerIdParams, ...jsonBody(unfreezeRequest, false) },
  responses: { 200: json(freezeResponse, "Released"), ...internalErrors },
});

export function registerUnfreezePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(unfreezePartnerRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { status } = unfreezeRequest.parse(c.req.valid("json") ?? {});
    await releasePartner(c.get("deps"), id, status);
    return c.json({ partner_id: id, frozen: false }, 200);
  });
}
