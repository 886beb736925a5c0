import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { notFound } from "../../../shared/errors.ts";
import type { AppEnv } from "../../app-env.ts";
import { drains } from "../../db/schema.ts";
import { drainView } from "../../drains/drain-cell.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";
import { DrainSchema } from "../../schemas/move.ts";

export const retrieveDrainRoute = createRoute({
  method: "get",
  path: "/admin/v1/drains/{id}",
  tags: ["Drains"],
  summary: "A drain's status and progress",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "The drain", content: { "application/json": { schema: DrainSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveDrain(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveDrainRoute, async (c) => {
    const { id } = c.req.valid("param");
    const [row] = await c.get("deps").db.select().from(drains).where(eq(drains.id, id));
    if (!row) throw notFound("drain", id);
    return c.json(drainView(row), 200);
  });
}
