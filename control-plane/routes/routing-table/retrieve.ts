import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { buildRoutingTable } from "../../routing/build-routing-table.ts";
import { errorResponses } from "../../schemas/common.ts";
import { RoutingTableSchema } from "../../schemas/routing.ts";

export const retrieveRoutingTableRoute = createRoute({
  method: "get",
  path: "/admin/v1/routing-table",
  tags: ["Routing"],
  summary: "The current routing table and its version",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "The table", content: { "application/json": { schema: RoutingTableSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveRoutingTable(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveRoutingTableRoute, async (c) => c.json(await buildRoutingTable(c.get("deps").db), 200));
}
