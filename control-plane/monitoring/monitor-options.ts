// The monitor's targets from the control plane's environment (config.ts): ROUTER_URLS and
// CELL_METRICS_TARGETS are static lists, the cells' gateways come from the registry.
import type { ControlPlaneEnv } from "../config.ts";
import type { MonitorOptions } from "./monitor.ts";

export function monitorOptionsFromEnv(env: ControlPlaneEnv): MonitorOptions {
  const routerUrls = env.ROUTER_URLS.split(",")
    .map((u) => u.trim().replace(/\/$/, ""))
    .filter(Boolean);
  const workerTargets: Record<string, string[]> = {};
  for (const entry of env.CELL_METRICS_TARGETS.split(",")) {
    const [cell, url] = entry.trim().split("=", 2);
    if (!cell || !url) continue;
    const list = workerTargets[cell] ?? [];
    list.push(`${url.replace(/\/metrics$/, "").replace(/\/$/, "")}/metrics`);
    workerTargets[cell] = list;
  }
  return { intervalMs: env.MONITOR_INTERVAL_MS, routerUrls, workerTargets };
}
