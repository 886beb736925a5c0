// GET /metrics (Prometheus text) and GET /metrics/partners (the bounded per-partner figures, JSON)
// for the control plane's scraper and for Prometheus. Served on the internal listener only; they
// still need the cell's internal token when the gateway has one, because they name partners and a
// port reachable from the cell's network is not proof of who is asking.
import { timingSafeEqual } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../../../shared/errors.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../../shared/telemetry/registry.ts";
import type { AppEnv } from "../app-env.ts";
import type { GatewayTelemetry } from "../telemetry/gateway-telemetry.ts";

function requireInternalToken(c: Context<AppEnv>): void {
  const token = c.get("deps").config.internalToken;
  if (!token) return;
  const given = Buffer.from((c.req.header("authorization") ?? "").replace(/^Bearer /, ""));
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError("internal_token_required", "This endpoint needs the platform's internal token.");
  }
}

export function registerMetrics(app: OpenAPIHono<AppEnv>, t: GatewayTelemetry) {
  app.get("/metrics", async (c) => {
    requireInternalToken(c);
    return c.body(await t.registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
  app.get("/metrics/partners", (c) => {
    requireInternalToken(c);
    return c.json(t.partners.snapshot());
  });
}
