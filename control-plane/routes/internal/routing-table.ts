// GET /internal/v1/routing-table: what routers fetch at start, on a version gap, and periodically.
// Not in the admin OpenAPI document: it is the platform's, authenticated by the internal token.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { signRoutingDocument } from "../../../shared/routing/routing-signature.ts";
import type { AppEnv } from "../../app-env.ts";
import { internalAuth } from "../../middleware/internal-auth.ts";
import { buildRoutingTable } from "../../routing/build-routing-table.ts";

export function registerInternalRoutingTable(app: OpenAPIHono<AppEnv>) {
  // Signed like every delta: routers refuse a table the control plane's key did not sign.
  app.get("/internal/v1/routing-table", internalAuth(), async (c) => {
    const deps = c.get("deps");
    return c.json(signRoutingDocument("table", await buildRoutingTable(deps.db), deps.nats.signingKey));
  });
}
