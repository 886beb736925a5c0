import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { cellView } from "../../cells/cell-registry.ts";
import { registerCell } from "../../cells/register-cell.ts";
import { CellSchema, RegisterCellBodySchema } from "../../schemas/cell.ts";
import { ErrorSchema, errorResponses } from "../../schemas/common.ts";

export const registerCellRoute = createRoute({
  method: "post",
  path: "/admin/v1/cells",
  tags: ["Cells"],
  summary: "Register a running cell (or update its weight and gateways)",
  description:
    "Every gateway must answer `/readyz` first, and each of `internal_gateways` the internal API with the platform's internal token, naming this cell (else 422 `cell_not_ready`, `param` saying which list). `internal_gateways` stay in the control plane: the routing table carries `gateways` only. A new cell becomes active and eligible for placement; an existing one keeps its state. Safe to call at every start.",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: RegisterCellBodySchema } } } },
  responses: {
    200: { description: "The cell was updated", content: { "application/json": { schema: CellSchema } } },
    201: { description: "The cell was registered", content: { "application/json": { schema: CellSchema } } },
    ...errorResponses,
    422: { description: "A gateway is not ready", content: { "application/json": { schema: ErrorSchema } } },
  },
});

export function registerRegisterCell(app: OpenAPIHono<AppEnv>) {
  app.openapi(registerCellRoute, async (c) => {
    const body = c.req.valid("json");
    const { after, created, partnerCount } = await registerCell(c.get("deps"), c.get("admin"), body);
    return c.json(cellView(after, partnerCount), created ? 201 : 200);
  });
}
