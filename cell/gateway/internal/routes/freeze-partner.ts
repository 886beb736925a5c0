// POST /internal/v1/partners/:id/freeze: this gateway refuses the partner at once (503
// partner_moving, which the router holds and retries); its stored status makes every other or
// restarted gateway do the same.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { freezeResponse, partnerIdParams } from "../../../../shared/cell-api/contract.ts";
import { notFound } from "../../../../shared/errors.ts";
import { freezePartner } from "../../../partners/partner-freeze.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const freezePartnerRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/partners/{id}/freeze",
  summary: "Freeze a partner being moved out",
  request: { params: partnerIdParams },
  responses: { 200: json(freezeResponse, "Frozen"), ...internalErrors },
});

export function registerFreezePartner(app: OpenAPIHono<AppEnv>) {
  app.openapi(freezePartnerRoute, async (c) => {
    const { id } = c.req.valid("param");
    const deps = c.get("deps");
    if (!(await freezePartner(deps, id))) throw notFound("partner", id);
    return c.json({ partner_id: id, frozen: true, in_flight: deps.inFlight.of(id) }, 200);
  });
}
