import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { cellView, listCellsWithCounts } from "../../cells/cell-registry.ts";
import { CellListSchema } from "../../schemas/cell.ts";
import { errorResponses } from "../../schemas/common.ts";

export const listCellsRoute = createRoute({
  method: "get",
  path: "/admin/v1/cells",
  tags: ["Cells"],
  summary: "List the cells with their state, weight, health and partner count",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "Every cell", content: { "application/json": { schema: CellListSchema } } },
    ...errorResponses,
  },
});

export function registerListCells(app: OpenAPIHono<AppEnv>) {
  app.openapi(listCellsRoute, async (c) => {
    const cells = await listCellsWithCounts(c.get("deps").db);
    const data = cells.map(({ row, partnerCount }) => cellView(row, partnerCount));
    return c.json({ object: "list" as const, data, has_more: false }, 200);
  });
}
