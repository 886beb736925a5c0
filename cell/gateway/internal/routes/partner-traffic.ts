// GET /internal/v1/partners/:id/traffic: the partner's payments and webhook health in this cell.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { partnerIdParams, partnerTrafficResponse } from "../../../../shared/cell-api/contract.ts";
import { partnerTraffic } from "../../../partners/partner-admin.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const partnerTrafficRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}/traffic",
  summary: "A partner's traffic and webhook health",
  request: { params: partnerIdParams },
  responses: { 200: json(partnerTrafficResponse, "Traffic"), ...internalErrors },
});

export function registerPartnerTraffic(app: OpenAPIHono<AppEnv>) {
  app.openapi(partnerTrafficRoute, async (c) =>
    c.json(await partnerTraffic(c.get("deps").sql, c.req.valid("param").id), 200),
  );
}
