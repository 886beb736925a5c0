// GET /metrics (Prometheus text) and GET /metrics/partners (the bounded per-partner figures, JSON)
// for the control plane's scraper and for Prometheus. Served on the internal listener only, to the
// metrics-scrape credential only (they name partners, and a port reachable from the cell's network
// is not proof of who is asking); the cell-admin and routing-table credentials do not open them.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { requireCredential } from "../../../shared/http/bearer-auth.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../../shared/telemetry/registry.ts";
import type { AppEnv } from "../app-env.ts";
import type { GatewayTelemetry } from "../telemetry/gateway-telemetry.ts";

export function registerMetrics(
  app: OpenAPIHono<AppEnv>,
  t: GatewayTelemetry,
  metricsToken: string | undefined,
) {
  const scraper = requireCredential<AppEnv>("metrics-scrape", metricsToken);
  app.get("/metrics", scraper, async (c) =>
    c.body(await t.registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }),
  );
  app.get("/metrics/partners", scraper, (c) => c.json(t.partners.snapshot()));
}
