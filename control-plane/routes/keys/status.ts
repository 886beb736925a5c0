import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { cellKeyStatus } from "../../keys/cell-keys.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";
import { CellKeyStatusSchema } from "../../schemas/keys.ts";

export const cellKeyStatusRoute = createRoute({
  method: "get",
  path: "/admin/v1/cells/{id}/keys",
  tags: ["Keys"],
  summary: "A cell's data keys (state, master, encryptions, cryptoperiod) and its latest data-key rotation",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "Key status", content: { "application/json": { schema: CellKeyStatusSchema } } },
    ...errorResponses,
  },
});

export function registerCellKeyStatus(app: OpenAPIHono<AppEnv>) {
  app.openapi(cellKeyStatusRoute, async (c) =>
    c.json(await cellKeyStatus(c.get("deps"), c.req.valid("param").id), 200),
  );
}
