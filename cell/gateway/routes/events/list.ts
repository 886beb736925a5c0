import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listEvents, toEnvelope } from "../../../db/queries/events.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses } from "../../schemas/common.ts";
import { type EventBody, EventListSchema, ListEventsQuerySchema } from "../../schemas/event.ts";

export const listEventsRoute = createRoute({
  method: "get",
  path: "/v1/events",
  tags: ["Events"],
  summary: "List events, newest first",
  description:
    "The events your webhooks receive, in the same envelope. Filter by `type`; paginate with `starting_after`.",
  security: [{ bearer: [] }],
  request: { query: ListEventsQuerySchema },
  responses: {
    200: { description: "A page of events", content: { "application/json": { schema: EventListSchema } } },
    ...errorResponses,
  },
});

export function registerListEvents(app: OpenAPIHono<AppEnv>) {
  app.openapi(listEventsRoute, async (c) => {
    const q = c.req.valid("query");
    const deps = c.get("deps");
    const rows = await listEvents(deps.sql, c.get("partner").scope, {
      limit: q.limit,
      startingAfter: q.starting_after,
      type: q.type,
    });
    const page = rows.slice(0, q.limit).map((r) => toEnvelope(deps.config.cellId, r) as EventBody);
    return c.json({ object: "list" as const, data: page, has_more: rows.length > q.limit }, 200);
  });
}
