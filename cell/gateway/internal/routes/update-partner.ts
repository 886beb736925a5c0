// PATCH /internal/v1/partners/:id: status (suspend/resume) and settings (limits, fees).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  partnerIdParams,
  partnerStateResponse,
  updatePartnerRequest,
} from "../../../../shared/cell-api/contract.ts";
import { notFound } from "../../../../shared/errors.ts";
import { updatePartner } from "../../../partners/partner-admin.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";

export const updatePartnerRoute = createRoute({
  ...internalRouteBase,
  method: "patch",
  path: "/partners/{id}",
  summary: "Change a partner's status or settings",
  request: { params: partnerIdParams, ...jsonBody(updatePartnerRequest) },
  responses: { 200: json(partnerStateResponse, "The partner"), ...internalErrors },
});

export function registerUpdatePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(updatePartnerRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { sql, redis } = c.get("deps");
    const partner = await updatePartner(sql, redis, id, c.req.valid("json"));
    if (!partner) throw notFound("partner", id);
    return c.json(partner, 200);
  });
}
