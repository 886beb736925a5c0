// The gateway's metrics, built once per gateway app: HTTP requests by route pattern and status
// class, limits' rejections, acquirer calls, dependency latency (Postgres, Redis: a `select 1` and
// a PING measured at scrape time, so nothing runs between scrapes), outbox backlog, in-flight
// requests, and the per-partner figures (partner-stats.ts) the control plane collects.

import { PartnerStats } from "../../../shared/telemetry/partner-stats.ts";
import { registerProcessMetrics } from "../../../shared/telemetry/process-metrics.ts";
import { type Histogram, MetricsRegistry } from "../../../shared/telemetry/registry.ts";
import type { AcquirerRoutes } from "../../acquirer/acquirer-routes.ts";
import type { AcquirerConnector, AuthorizationResult } from "../../acquirer/connector.ts";
import type { GatewayDeps } from "../deps.ts";

export interface GatewayTelemetry {
  registry: MetricsRegistry;
  /** `cellpay_http_request_duration_seconds{route,method,status_class}`. */
  requests: Histogram;
  rejections: { inc(values: readonly string[]): void };
  /** `cellpay_api_version_requests_total{api_version,source}`: bounded, versions are a fixed list. */
  apiVersions: { inc(values: readonly string[]): void };
  partners: PartnerStats;
  /** The connector, timed and counted by operation and outcome. */
  acquirers: AcquirerRoutes;
}

const PING_TIMEOUT_MS = 1000;

export function createGatewayTelemetry(deps: GatewayDeps): GatewayTelemetry {
  const registry = new MetricsRegistry({ service: "gateway", cell: deps.config.cellId });
  registerProcessMetrics(registry);
  const requests = registry.histogram(
    "cellpay_http_request_duration_seconds",
    "HTTP requests by route pattern, method and status class.",
    ["route", "method", "status_class"],
  );
  const rejections = registry.counter(
    "cellpay_rate_limit_rejections_total",
    "Requests refused by a limit, by error code (rate_limited, too_many_concurrent_requests, overloaded).",
    ["code"],
  );
  const apiVersions = registry.counter(
    "cellpay_api_version_requests_total",
    "Partner API requests by the API version they were answered in, and whether the partner's pin or the Cellpay-Version header chose it.",
    ["api_version", "source"],
  );
  const acquirerCalls = registry.histogram(
    "cellpay_acquirer_duration_seconds",
    "Acquirer calls by operation and outcome (approved, declined, pending, ok, error).",
    ["operation", "outcome"],
  );
  const ping = registry.histogram(
    "cellpay_dependency_ping_seconds",
    "Round trip of a trivial command to a dependency, measured at each scrape.",
    ["dependency"],
  );
  const up = registry.gauge("cellpay_dependency_up", "Whether the dependency answered the last ping.", [
    "dependency",
  ]);
  const pool = registry.gauge("cellpay_pg_pool_max_connections", "The hot-path Postgres pool's size.");
  pool.set([], deps.sql.options.max);
  const redisDegraded = registry.gauge(
    "cellpay_redis_degraded_operations",
    "Redis operations that failed and were served without Redis, since start.",
  );
  redisDegraded.collect = (g) => g.set([], deps.redisHealth.degraded);
  const rejectedKeyRecords = registry.gauge(
    "cellpay_key_cache_rejected_records",
    "Cached API-key records refused (bad signature, wrong key, expired) and read from Postgres, since start.",
  );
  rejectedKeyRecords.collect = (g) => g.set([], deps.keys.rejectedRecords);
  const cardTestingTrips = registry.counter(
    "cellpay_card_testing_suspected_total",
    "Times a partner's declines tripped the card-testing guard (its card payments paused for a window).",
  );
  let tripsSeen = 0;
  registry.onScrape(() => {
    const trips = deps.declineVelocity.trips;
    if (trips > tripsSeen) cardTestingTrips.inc([], trips - tripsSeen);
    tripsSeen = trips;
  });
  const inFlight = registry.gauge("cellpay_in_flight_requests", "Partner API requests in progress.");
  inFlight.collect = (g) => g.set([], deps.inFlight.count);
  const backlog = registry.gauge(
    "cellpay_outbox_backlog_events",
    "Events written but not yet published to JetStream (the relay's backlog).",
  );
  const partners = new PartnerStats();
  const partnerCount = registry.gauge("cellpay_partners_seen", "Partners with traffic since start.");
  partnerCount.collect = (g) => g.set([], Object.keys(partners.snapshot().partners).length);

  const timed = async (dependency: string, fn: () => Promise<unknown>) => {
    const started = performance.now();
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => setTimeout(reject, PING_TIMEOUT_MS, new Error("timeout")).unref()),
      ]);
      ping.observe([dependency], (performance.now() - started) / 1000);
      up.set([dependency], 1);
    } catch {
      up.set([dependency], 0);
    }
  };
  registry.onScrape(async () => {
    await Promise.all([
      timed("postgres", () => deps.sql`select 1`),
      deps.redis ? timed("redis", () => deps.redis!.ping()) : Promise.resolve(),
      // The partial index events_unpublished keeps this cheap while the relay keeps up.
      deps.sql<{ n: number }[]>`select count(*)::int as n from events where published_at is null`.then(
        (rows) => backlog.set([], rows[0]?.n ?? 0),
      ),
    ]);
  });

  return {
    registry,
    requests,
    rejections,
    apiVersions,
    partners,
    acquirers: {
      test: instrumentAcquirer(deps.acquirers.test, acquirerCalls),
      live: new Map(
        [...deps.acquirers.live].map(([name, c]) => [name, instrumentAcquirer(c, acquirerCalls)] as const),
      ),
    },
  };
}

function instrumentAcquirer(inner: AcquirerConnector, h: Histogram): AcquirerConnector {
  const time = async <T>(operation: string, fn: () => Promise<T>, outcomeOf: (r: T) => string) => {
    const started = performance.now();
    try {
      const result = await fn();
      h.observe([operation, outcomeOf(result)], (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      h.observe([operation, "error"], (performance.now() - started) / 1000);
      throw err;
    }
  };
  const ok = () => "ok";
  return {
    name: inner.name,
    authorize: (req, opts) =>
      time(
        "authorize",
        () => inner.authorize(req, opts),
        (r: AuthorizationResult) => r.outcome,
      ),
    capture: (id, amount) => time("capture", () => inner.capture(id, amount), ok),
    void: (id) => time("void", () => inner.void(id), ok),
    refund: (id, refundId, amount) => time("refund", () => inner.refund(id, refundId, amount), ok),
    lookup: (id) =>
      time(
        "lookup",
        () => inner.lookup(id),
        (r) => r?.outcome ?? "unknown",
      ),
  };
}
