// POST /internal/v1/partners: the control plane places a partner in this cell (idempotent).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { provisionPartnerRequest, provisionPartnerResponse } from "../../../../shared/cell-api/contract.ts";
import { provisionPlacedPartner } from "../../../partners/provision.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";

export const provisionPartnerRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/partners",
  summary: "Provision a partner, with a first key unless its rows are being moved in",
  request: jsonBody(provisionPartnerRequest),
  responses: { 201: json(provisionPartnerResponse, "Provisioned"), ...internalErrors },
});

export function registerProvisionPartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(provisionPartnerRoute, async (c) => {
    const req = c.req.valid("json");
    const { apiKey } = await provisionPlacedPartner(c.get("deps").db, {
      id: req.id,
      name: req.name,
      settings: req.settings,
      firstKeyMode: req.first_key_mode,
    });
    return c.json({ partner_id: req.id, ...(apiKey ? { api_key: apiKey } : {}) }, 201);
  });
}
