// POST /internal/v1/partners/:id/activate: after the route flipped to this cell, the copied
// partner takes traffic here.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  partnerIdParams,
  partnerStateResponse,
  unfreezeRequest,
} from "../../../../shared/cell-api/contract.ts";
import { notFound } from "../../../../shared/errors.ts";
import { releasePartner } from "../../../partners/partner-freeze.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";

export const activatePartnerRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/partners/{id}/activate",
  summary: "Activate a partner moved into this cell",
  request: { params: partnerIdParams, ...jsonBody(unfreezeRequest, false) },
  responses: { 200: json(partnerStateResponse, "The partner"), ...internalErrors },
});

export function registerActivatePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(activatePartnerRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { status } = unfreezeRequest.parse(c.req.valid("json") ?? {});
    const partner = await releasePartner(c.get("deps"), id, status);
    if (!partner) throw notFound("partner", id);
    return c.json(partner, 200);
  });
}
