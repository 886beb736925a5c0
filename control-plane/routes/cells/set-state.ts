import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { cellView } from "../../cells/cell-registry.ts";
import { setCellState } from "../../cells/set-cell-state.ts";
import { CellSchema, SetCellStateBodySchema } from "../../schemas/cell.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";

export const setCellStateRoute = createRoute({
  method: "put",
  path: "/admin/v1/cells/{id}/state",
  tags: ["Cells"],
  summary: "Set a cell's state (active, draining, closed, down)",
  description:
    "`down` makes the routers answer the cell's partners a fast 503; `draining` and `closed` stop placement on it. Publishes a routing-table version.",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: true, content: { "application/json": { schema: SetCellStateBodySchema } } },
  },
  responses: {
    200: { description: "The cell", content: { "application/json": { schema: CellSchema } } },
    ...errorResponses,
  },
});

export function registerSetCellState(app: OpenAPIHono<AppEnv>) {
  app.openapi(setCellStateRoute, async (c) => {
    const { row, partnerCount } = await setCellState(
      c.get("deps"),
      c.get("admin"),
      c.req.valid("param").id,
      c.req.valid("json").state,
    );
    return c.json(cellView(row, partnerCount), 200);
  });
}
