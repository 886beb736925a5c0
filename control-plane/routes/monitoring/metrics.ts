// GET /metrics of the control plane itself: process metrics and what the monitor sees (scrape
// rounds, open alerts by rule), for Prometheus. Needs the internal token, like the cells' and
// routers' /metrics.
import { timingSafeEqual } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../../../shared/errors.ts";
import { registerProcessMetrics } from "../../../shared/telemetry/process-metrics.ts";
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../../../shared/telemetry/registry.ts";
import type { AppEnv } from "../../app-env.ts";
import type { Monitor } from "../../monitoring/monitor.ts";

export function registerControlPlaneMetrics(app: OpenAPIHono<AppEnv>, monitor: Monitor | undefined) {
  const registry = new MetricsRegistry({ service: "control-plane" });
  registerProcessMetrics(registry);
  const rounds = registry.gauge("cellpay_monitor_rounds", "Monitoring rounds completed since start.");
  const alerts = registry.gauge("cellpay_alerts_open", "Open alerts by rule.", ["rule"]);
  rounds.collect = (g) => g.set([], monitor?.rounds ?? 0);
  alerts.collect = (g) => {
    const open = monitor?.openAlerts() ?? [];
    for (const rule of [
      "cell_down",
      "error_ratio",
      "p99_latency",
      "consumer_lag",
      "webhook_failures",
      "partner_rate_limited",
    ])
      g.set([rule], open.filter((a) => a.rule === rule).length);
  };
  app.get("/metrics", async (c) => {
    const given = Buffer.from((c.req.header("authorization") ?? "").replace(/^Bearer /, ""));
    const expected = Buffer.from(c.get("deps").internalToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError("internal_token_required", "This endpoint needs the platform's internal token.");
    }
    return c.body(await registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
}
