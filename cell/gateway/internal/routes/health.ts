// GET /internal/v1/health: the internal API answers, with its database, naming the cell
// (registration checks it: the public port cannot fake it).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { healthResponse } from "../../../../shared/cell-api/contract.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const healthRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/health",
  summary: "The internal API and its database answer",
  responses: { 200: json(healthResponse, "Healthy"), ...internalErrors },
});

export function registerHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, async (c) => {
    await c.get("deps").sql`select 1`;
    return c.json({ status: "ok" as const, cell_id: c.get("deps").config.cellId }, 200);
  });
}
