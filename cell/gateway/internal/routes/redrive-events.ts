// POST /internal/v1/events/redrive: publish the cell's events again from the outbox, since a point
// in time and/or those a consumer has not processed (cell/events/redrive.ts).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { redriveRequest, redriveResponse } from "../../../../shared/cell-api/contract-redrive.ts";
import { redriveEvents } from "../../../events/redrive.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalErrors, internalRouteBase, json, jsonBody } from "./internal-route.ts";

export const redriveEventsRoute = createRoute({
  ...internalRouteBase,
  method: "post",
  path: "/events/redrive",
  summary: "Hand events back to the relay: they are published again, duplicates dropped downstream",
  request: jsonBody(redriveRequest),
  responses: { 200: json(redriveResponse, "Events requeued for publishing"), ...internalErrors },
});

export function registerRedriveEvents(app: OpenAPIHono<AppEnv>) {
  app.openapi(redriveEventsRoute, async (c) =>
    c.json(await redriveEvents(c.get("deps").sql, c.req.valid("json")), 200),
  );
}
