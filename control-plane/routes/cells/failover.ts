import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { failOverCell } from "../../failovers/fail-over-cell.ts";
import { FailoverBodySchema, FailoverSchema } from "../../schemas/cell.ts";
import { ErrorSchema, IdParamSchema, writeErrorResponses } from "../../schemas/common.ts";

export const failOverCellRoute = createRoute({
  method: "post",
  path: "/admin/v1/cells/{id}/failover",
  tags: ["Cells"],
  summary: "Flip every partner of a down cell to a cell restored from its backup, in one routing version",
  description:
    "The incident path after `cells restore`: no rows are copied (the target holds them from the backup). The failed cell must be `down` and the target registered, active and ready (else 409 `cell_not_accepting` / 422 `cell_not_ready`); every partner must be in the target, or nothing flips. Audited as `cell.failover`.",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: true, content: { "application/json": { schema: FailoverBodySchema } } },
  },
  responses: {
    200: { description: "The partners flipped", content: { "application/json": { schema: FailoverSchema } } },
    ...writeErrorResponses,
    422: { description: "The target is not ready", content: { "application/json": { schema: ErrorSchema } } },
  },
});

export function registerFailOverCell(app: OpenAPIHono<AppEnv>) {
  app.openapi(failOverCellRoute, async (c) => {
    const result = await failOverCell(
      c.get("deps"),
      c.get("admin"),
      c.req.valid("param").id,
      c.req.valid("json").to,
    );
    return c.json({ object: "failover" as const, ...result }, 200);
  });
}
