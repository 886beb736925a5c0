// GET /internal/v1/database: the cell's database role layout (primary, standbys, lag, sync state).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { databaseLayoutResponse } from "../../../../shared/cell-api/contract.ts";
import { readDatabaseLayout } from "../../../db/database-layout.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const databaseLayoutRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/database",
  summary: "The cell's database role layout, as its primary sees it",
  responses: { 200: json(databaseLayoutResponse, "The layout"), ...internalErrors },
});

export function registerDatabaseLayout(app: OpenAPIHono<AppEnv>) {
  app.openapi(databaseLayoutRoute, async (c) => {
    const deps = c.get("deps");
    return c.json(await readDatabaseLayout(deps.sqlWithoutDeadline ?? deps.sql, deps.clock()), 200);
  });
}
