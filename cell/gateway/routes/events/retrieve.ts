import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { notFound } from "../../../../shared/errors.ts";
import { findEvent, toEnvelope } from "../../../db/queries/events.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses, IdParamsSchema, NoQuerySchema } from "../../schemas/common.ts";
import { type EventBody, EventSchema } from "../../schemas/event.ts";

export const retrieveEventRoute = createRoute({
  method: "get",
  path: "/v1/events/{id}",
  tags: ["Events"],
  summary: "Retrieve an event",
  security: [{ bearer: [] }],
  request: { query: NoQuerySchema, params: IdParamsSchema },
  responses: {
    200: { description: "The event", content: { "application/json": { schema: EventSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveEvent(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveEventRoute, async (c) => {
    const { id } = c.req.valid("param");
    const deps = c.get("deps");
    const row = await findEvent(deps.sql, c.get("partner").scope, id);
    if (!row) throw notFound("event", id);
    return c.json(toEnvelope(deps.config.cellId, row) as EventBody, 200);
  });
}
