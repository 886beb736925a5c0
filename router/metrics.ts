// The router's metrics: requests by route (partner API, docs, health, metrics: a closed set) and
// cell and status class, each cell's breaker state and healthy instances, and the routing table
// version. observe() is what the request handler calls once per request: one Map lookup by a
// short key and a histogram add. GET /metrics needs the metrics-scrape credential (not the routing-table
// one the router itself holds): the router is the public endpoint.
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerMatcher, credentialRequired } from "../shared/http/bearer-auth.ts";
import { newId } from "../shared/ids.ts";
import { registerProcessMetrics } from "../shared/telemetry/process-metrics.ts";
import {
  type HistogramSeries,
  MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
  statusClass,
} from "../shared/telemetry/registry.ts";
import type { CellPools } from "./cell-pool.ts";
import { sendError } from "./respond.ts";
import type { RoutingTableStore } from "./routing-table-store.ts";

export type RouterRoute = "partner_api" | "docs" | "health" | "metrics";

export interface RouterTelemetry {
  observe(route: RouterRoute, cellId: string | undefined, status: number, ms: number): void;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

const breakerValue = { closed: 0, half_open: 1, open: 2 } as const;

export function createRouterTelemetry(opts: {
  instance: string;
  cells: CellPools;
  store: RoutingTableStore;
  metricsToken: string;
}): RouterTelemetry {
  const registry = new MetricsRegistry({ service: "router", instance: opts.instance });
  registerProcessMetrics(registry);
  const requests = registry.histogram(
    "cellpay_router_request_duration_seconds",
    "Requests through the router by route, cell (none when no cell was picked) and status class.",
    ["route", "cell", "status_class"],
  );
  const breaker = registry.gauge(
    "cellpay_router_breaker_state",
    "Each cell's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ["cell"],
  );
  breaker.collect = (g) => {
    for (const cell of opts.cells.all()) g.set([cell.cellId], breakerValue[cell.breaker.state]);
  };
  const healthy = registry.gauge(
    "cellpay_router_healthy_instances",
    "Gateway instances of each cell the router's health checks pass.",
    ["cell"],
  );
  healthy.collect = (g) => {
    for (const cell of opts.cells.all()) g.set([cell.cellId], cell.instances.filter((u) => u.healthy).length);
  };
  const version = registry.gauge("cellpay_router_routing_version", "The routing table version held.");
  version.collect = (g) => g.set([], opts.store.table.version);
  const rejected = registry.counter(
    "cellpay_router_routing_rejected_total",
    "Routing tables, deltas and snapshots refused, by reason (bad signature, gateway outside the allow-list…).",
    ["reason"],
  );
  registry.onScrape(() => {
    for (const [reason, n] of opts.store.rejected) rejected.series(reason).value = n;
  });

  // Series by "route|cell|class": the handler never builds label arrays.
  const series = new Map<string, HistogramSeries>();
  const scraper = bearerMatcher(opts.metricsToken);
  return {
    observe(route, cellId, status, ms) {
      const cls = statusClass(status);
      const key = `${route}|${cellId ?? ""}|${cls}`;
      let s = series.get(key);
      if (!s) {
        s = requests.series(route, cellId ?? "none", cls);
        series.set(key, s);
      }
      s.observe(ms / 1000);
    },
    serve(req, res) {
      if (!scraper(req.headers.authorization)) {
        sendError(res, credentialRequired("metrics-scrape"), newId("req"));
        return;
      }
      registry.render().then(
        (text) => res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(text),
        () => res.writeHead(500).end(),
      );
    },
  };
}
