import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.ts";

/** Liveness and readiness (Postgres answers) for load balancers and the router's health checks. */
export function registerHealth(app: OpenAPIHono<AppEnv>) {
  app.get("/healthz", (c) => c.json({ status: "ok", cell_id: c.get("deps").config.cellId }));
  app.get("/readyz", async (c) => {
    try {
      await c.get("deps").sql`select 1`;
      return c.json({ status: "ready", cell_id: c.get("deps").config.cellId });
    } catch {
      return c.json({ status: "unavailable", cell_id: c.get("deps").config.cellId }, 503);
    }
  });
}
