// Turns two consecutive scrapes of a cell's processes into one point of its time series: request
// rate, 5xx ratio and latency quantiles of the partner API (/v1 routes) over the interval, and
// the current outbox backlog, consumer lag and webhook results. Counters are summed over the
// cell's gateway instances first; a process restart (counter reset) counts from zero.
import { bucketDelta, buckets, quantile, type Sample, sum } from "./prometheus-text.ts";

export interface CellPoint {
  t: number;
  tps: number;
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  consumerLag: number;
  outboxBacklog: number;
  webhooksOk: number;
  webhooksRetried: number;
  webhooksDead: number;
  rateLimited: number;
}

/** The cumulative figures a point is the difference of. */
export interface CellTotals {
  requests: number;
  errors: number;
  rateLimited: number;
  latency: Map<number, number>;
  webhooks: { ok: number; retried: number; dead: number };
}

const partnerApi = (l: Record<string, string>) => (l.route ?? "").startsWith("/v1/");
const REQ = "cellpay_http_request_duration_seconds";
const WEBHOOK = "cellpay_webhook_attempt_duration_seconds_count";

export function cellTotals(gateways: readonly Sample[], workers: readonly Sample[]): CellTotals {
  return {
    requests: sum(gateways, `${REQ}_count`, partnerApi),
    errors: sum(gateways, `${REQ}_count`, (l) => partnerApi(l) && l.status_class === "5xx"),
    rateLimited: sum(gateways, "cellpay_rate_limit_rejections_total"),
    latency: buckets(gateways, REQ, partnerApi),
    webhooks: {
      ok: sum(workers, WEBHOOK, (l) => l.result === "ok"),
      retried: sum(workers, WEBHOOK, (l) => l.result === "retried"),
      dead: sum(workers, WEBHOOK, (l) => l.result === "dead"),
    },
  };
}

const delta = (before: number | undefined, now: number) =>
  before === undefined ? 0 : now >= before ? now - before : now;

export function cellPoint(
  t: number,
  seconds: number,
  before: CellTotals | undefined,
  now: CellTotals,
  gateways: readonly Sample[],
  workers: readonly Sample[],
): CellPoint {
  const requests = delta(before?.requests, now.requests);
  const errors = delta(before?.errors, now.errors);
  const latency = before ? bucketDelta(before.latency, now.latency) : new Map<number, number>();
  const q = (x: number) => {
    const v = quantile(x, latency);
    return v === null ? null : Math.round(v * 10_000) / 10;
  };
  return {
    t,
    tps: seconds > 0 ? Math.round((requests / seconds) * 10) / 10 : 0,
    errorRate: requests > 0 ? errors / requests : 0,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    consumerLag: sum(workers, "cellpay_consumer_lag_messages"),
    outboxBacklog: Math.max(
      0,
      ...gateways.filter((s) => s.name === "cellpay_outbox_backlog_events").map((s) => s.value),
    ),
    webhooksOk: delta(before?.webhooks.ok, now.webhooks.ok),
    webhooksRetried: delta(before?.webhooks.retried, now.webhooks.retried),
    webhooksDead: delta(before?.webhooks.dead, now.webhooks.dead),
    rateLimited: delta(before?.rateLimited, now.rateLimited),
  };
}
