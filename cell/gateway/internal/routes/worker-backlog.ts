// GET /internal/v1/partners/:id/backlog: the partner's events the cell's workers still owe.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { backlogResponse, partnerIdParams } from "../../../../shared/cell-api/contract.ts";
import { workerBacklog } from "../../../partners/partner-copy.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

export const workerBacklogRoute = createRoute({
  ...internalRouteBase,
  method: "get",
  path: "/partners/{id}/backlog",
  summary: "Events of a partner not yet published or processed",
  request: { params: partnerIdParams },
  responses: { 200: json(backlogResponse, "Backlog"), ...internalErrors },
});

export function registerWorkerBacklog(app: OpenAPIHono<AppEnv>) {
  app.openapi(workerBacklogRoute, async (c) =>
    c.json(await workerBacklog(c.get("deps").sql, c.req.valid("param").id), 200),
  );
}
