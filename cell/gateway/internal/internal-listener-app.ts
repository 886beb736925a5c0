// The app of the gateway's internal listener: a port of its own that only the control plane and
// Prometheus reach, never the router (the router forwards to the public port alone, so no path a
// partner sends, however encoded, can land here). It serves the internal API (/internal/v1), the
// metrics (/metrics, /metrics/partners) and a liveness check; the public app serves none of them.
// Each has its own audience: /internal/v1 the control plane's cell-admin credential, /metrics the
// metrics-scrape credential.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.ts";
import type { GatewayDeps } from "../deps.ts";
import { notFoundOrMethodNotAllowed, onError } from "../error-handler.ts";
import { requestContext } from "../middleware/request-context.ts";
import { registerMetrics } from "../routes/metrics.ts";
import type { GatewayTelemetry } from "../telemetry/gateway-telemetry.ts";
import { validationHook } from "../validation-hook.ts";
import { createInternalApp } from "./internal-app.ts";

export function createInternalListenerApp(
  deps: GatewayDeps,
  telemetry: GatewayTelemetry,
): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(async function injectDeps(c, next) {
    c.set("deps", deps);
    await next();
  });
  // No metrics middleware: the control plane's calls and scrapes are not partner traffic.
  app.use(requestContext());
  app.onError(onError);
  app.notFound(notFoundOrMethodNotAllowed(() => app.routes));

  // Liveness of this listener, for the launcher's readiness probe. Names the cell and nothing
  // else. (Registration checks /internal/v1/health instead, which the public port cannot fake.)
  app.get("/healthz", (c) => c.json({ status: "ok", cell_id: deps.config.cellId }));
  registerMetrics(app, telemetry, deps.config.metricsToken);
  app.route("/internal/v1", createInternalApp(deps.config.cellAdminToken));
  return app;
}
