// GET /internal/v1/partners/:id: the partner's state in this cell.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { partnerIdParams, partnerStateResponse } from "../../../../shared/cell-api/contract.ts";
import { notFound } from "../../../../shared/errors.ts";
import { findPartner } from "../../../partners/partner-admin.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const retrievePartnerRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}",
  summary: "A partner's state in this cell",
  request: { params: partnerIdParams },
  responses: { 200: json(partnerStateResponse, "The partner"), ...internalErrors },
});

export function registerRetrievePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrievePartnerRoute, async (c) => {
    const { id } = c.req.valid("param");
    const partner = await findPartner(c.get("deps").sql, id);
    if (!partner) throw notFound("partner", id);
    return c.json(partner, 200);
  });
}
