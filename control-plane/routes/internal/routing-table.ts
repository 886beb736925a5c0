// GET /internal/v1/routing-table: what routers fetch at start, on a version gap, and periodically.
// Not in the admin OpenAPI document: it is the platform's, authenticated by the internal token.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { internalAuth } from "../../middleware/internal-auth.ts";
import { buildRoutingTable } from "../../routing/build-routing-table.ts";

export function registerInternalRoutingTable(app: OpenAPIHono<AppEnv>) {
  app.get("/internal/v1/routing-table", internalAuth(), async (c) =>
    c.json(await buildRoutingTable(c.get("deps").db)),
  );
}
