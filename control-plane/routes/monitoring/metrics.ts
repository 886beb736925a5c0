// GET /metrics of the control plane itself: process metrics and what the monitor sees (scrape
// rounds, open alerts by rule), for Prometheus. Needs the metrics-scrape credential, like the
// cells', workers' and routers' /metrics.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { bearerMatcher, credentialRequired } from "../../../shared/http/bearer-auth.ts";
import { registerProcessMetrics } from "../../../shared/telemetry/process-metrics.ts";
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../../../shared/telemetry/registry.ts";
import type { AppEnv } from "../../app-env.ts";
import { alertRules } from "../../monitoring/alerts.ts";
import type { Monitor } from "../../monitoring/monitor.ts";

export function registerControlPlaneMetrics(app: OpenAPIHono<AppEnv>, monitor: Monitor | undefined) {
  const registry = new MetricsRegistry({ service: "control-plane" });
  registerProcessMetrics(registry);
  const rounds = registry.gauge("cellpay_monitor_rounds", "Monitoring rounds completed since start.");
  const alerts = registry.gauge("cellpay_alerts_open", "Open alerts by rule.", ["rule"]);
  rounds.collect = (g) => g.set([], monitor?.rounds ?? 0);
  alerts.collect = (g) => {
    const open = monitor?.openAlerts() ?? [];
    for (const rule of alertRules) g.set([rule], open.filter((a) => a.rule === rule).length);
  };
  app.get("/metrics", async (c) => {
    if (!bearerMatcher(c.get("deps").credentials.metrics)(c.req.header("authorization"))) {
      throw credentialRequired("metrics-scrape");
    }
    return c.body(await registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
}
