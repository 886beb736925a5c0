// /internal/v1/partners/:id/change-log: starts (POST), reads the cursor of (GET) and stops
// (DELETE) the change log of the move named by the capability, with this cell as its source
// (cell/partners/change-log.ts). Start and stop are idempotent; stop also deletes the log.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  changeCursorResponse,
  partnerIdParams,
  stopChangeLogResponse,
} from "../../../../shared/cell-api/contract.ts";
import { invalidRequest } from "../../../../shared/errors.ts";
import { changeCursor, checkLogIds, startChangeLog, stopChangeLog } from "../../../partners/change-log.ts";
import type { AppEnv } from "../../app-env.ts";
import { requireMoveCapability } from "../move-capability-check.ts";
import { internalErrors, internalRouteBase, json } from "./internal-route.ts";

const base = {
  ...internalRouteBase,
  path: "/partners/{id}/change-log",
  request: { params: partnerIdParams },
};

export const startChangeLogRoute = createRoute({
  ...base,
  method: "post",
  summary: "Start logging a partner's changed rows for a move (move capability: this cell as source)",
  responses: { 200: json(changeCursorResponse, "Logging; the cursor to read from"), ...internalErrors },
});
export const changeCursorRoute = createRoute({
  ...base,
  method: "get",
  summary: "The cursor a move's next catch-up pass reads the change log from",
  responses: { 200: json(changeCursorResponse, "The cursor"), ...internalErrors },
});
export const stopChangeLogRoute = createRoute({
  ...base,
  method: "delete",
  summary: "Stop a move's change log and delete it (move capability: this cell as source)",
  responses: { 200: json(stopChangeLogResponse, "Stopped"), ...internalErrors },
});

function moveIdOr400(moveId: string, partnerId: string) {
  try {
    checkLogIds(moveId, partnerId);
  } catch (err) {
    throw invalidRequest("id", (err as Error).message);
  }
  return moveId;
}

export function registerChangeLog(app: OpenAPIHono<AppEnv>) {
  app.openapi(startChangeLogRoute, async (c) => {
    const { id } = c.req.valid("param");
    const moveId = moveIdOr400(requireMoveCapability(c, id, "source").move_id, id);
    return c.json({ cursor: await startChangeLog(c.get("deps").sql, moveId, id) }, 200);
  });
  app.openapi(changeCursorRoute, async (c) => {
    requireMoveCapability(c, c.req.valid("param").id, "source");
    return c.json({ cursor: await changeCursor(c.get("deps").sql) }, 200);
  });
  app.openapi(stopChangeLogRoute, async (c) => {
    const { id } = c.req.valid("param");
    const moveId = moveIdOr400(requireMoveCapability(c, id, "source").move_id, id);
    await stopChangeLog(c.get("deps").sql, moveId);
    return c.json({ stopped: true as const }, 200);
  });
}
