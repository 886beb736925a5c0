import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { getMoveOr404, moveView } from "../../moves/move-registry.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";
import { MoveSchema } from "../../schemas/move.ts";

export const retrieveMoveRoute = createRoute({
  method: "get",
  path: "/admin/v1/moves/{id}",
  tags: ["Moves"],
  summary: "A move's status and progress",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "The move", content: { "application/json": { schema: MoveSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveMove(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveMoveRoute, async (c) => {
    const move = await getMoveOr404(c.get("deps").db, c.req.valid("param").id);
    return c.json(moveView(move), 200);
  });
}
