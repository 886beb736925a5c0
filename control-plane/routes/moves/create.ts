import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { moveView } from "../../moves/move-registry.ts";
import { startMove } from "../../moves/start-move.ts";
import { IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";
import { MoveSchema, StartMoveSchema } from "../../schemas/move.ts";

export const startMoveRoute = createRoute({
  method: "post",
  path: "/admin/v1/partners/{id}/move",
  tags: ["Moves"],
  summary: "Move a partner to another cell, online",
  description:
    "Copies the partner's rows, catches up, freezes only this partner briefly, verifies checksums and flips the route. Follow it with GET /admin/v1/moves/{id}. Any failure before the flip rolls back.",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { content: { "application/json": { schema: StartMoveSchema } }, required: true },
  },
  responses: {
    202: { description: "The move, started", content: { "application/json": { schema: MoveSchema } } },
    ...writeErrorResponses,
  },
});

export function registerStartMove(app: OpenAPIHono<AppEnv>) {
  app.openapi(startMoveRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { target_cell_id } = c.req.valid("json");
    const move = await startMove(c.get("deps"), c.get("admin"), id, target_cell_id);
    return c.json(moveView(move), 202);
  });
}
