import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { cellView, getCellOr404, partnerCountOf } from "../../cells/cell-registry.ts";
import { CellSchema } from "../../schemas/cell.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";

export const retrieveCellRoute = createRoute({
  method: "get",
  path: "/admin/v1/cells/{id}",
  tags: ["Cells"],
  summary: "Retrieve a cell",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "The cell", content: { "application/json": { schema: CellSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveCell(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveCellRoute, async (c) => {
    const { db } = c.get("deps");
    const cell = await getCellOr404(db, c.req.valid("param").id);
    return c.json(cellView(cell, await partnerCountOf(db, cell.id)), 200);
  });
}
