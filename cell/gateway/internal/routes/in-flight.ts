// GET /internal/v1/partners/:id/in-flight: the partner's requests running in this gateway.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { inFlightResponse, partnerIdParams } from "../../../../shared/cell-api/contract.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const inFlightRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}/in-flight",
  summary: "A partner's requests in progress in this gateway instance",
  request: { params: partnerIdParams },
  responses: { 200: json(inFlightResponse, "Count"), ...internalErrors },
});

export function registerInFlight(app: OpenAPIHono<AppEnv>) {
  app.openapi(inFlightRoute, (c) =>
    c.json({ in_flight: c.get("deps").inFlight.of(c.req.valid("param").id) }, 200),
  );
}
