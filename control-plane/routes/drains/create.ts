import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { drainView, startDrain } from "../../drains/drain-cell.ts";
import { IdParamSchema, ReasonBodySchema, writeErrorResponses } from "../../schemas/common.ts";
import { DrainSchema } from "../../schemas/move.ts";

export const startDrainRoute = createRoute({
  method: "post",
  path: "/admin/v1/cells/{id}/drain",
  tags: ["Drains"],
  summary: "Drain a cell: no new partners, then move every partner out",
  description:
    "Follow it with GET /admin/v1/drains/{id}. A cell that is down cannot be drained (see the runbook).",
  security: [{ bearer: [] }],
  request: {
    params: IdParamSchema,
    body: { required: false, content: { "application/json": { schema: ReasonBodySchema } } },
  },
  responses: {
    202: { description: "The drain, started", content: { "application/json": { schema: DrainSchema } } },
    ...writeErrorResponses,
  },
});

export function registerStartDrain(app: OpenAPIHono<AppEnv>) {
  app.openapi(startDrainRoute, async (c) => {
    const drain = await startDrain(c.get("deps"), c.get("admin"), c.req.valid("param").id);
    return c.json(drainView(drain), 202);
  });
}
