// GET /internal/v1/xid: the current transaction id; rows written later are caught up from it.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { xidResponse } from "../../../../shared/cell-api/contract.ts";
import { currentXid } from "../../../partners/partner-copy.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const currentXidRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/xid",
  summary: "The current transaction id (a move's catch-up starts from it)",
  responses: { 200: json(xidResponse, "The transaction id"), ...internalErrors },
});

export function registerCurrentXid(app: OpenAPIHono<AppEnv>) {
  app.openapi(currentXidRoute, async (c) => c.json({ xid: await currentXid(c.get("deps").sql) }, 200));
}
