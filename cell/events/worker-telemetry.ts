// Metrics of a cell's workers, served on METRICS_PORT by shared/telemetry/metrics-server.ts:
// the relay's published events and outbox backlog; the processors' handled events by consumer
// and outcome, each durable consumer's lag (read from JetStream at scrape time: messages not yet
// delivered, and delivered but not acknowledged), webhook attempts (ok, retried, dead), and
// events refused because the outbox does not hold them.
import type { JetStreamManager } from "nats";
import { registerProcessMetrics } from "../../shared/telemetry/process-metrics.ts";
import { MetricsRegistry } from "../../shared/telemetry/registry.ts";
import type { Sql } from "../db/client.ts";
import { eventsStream } from "./streams.ts";

export function createRelayTelemetry(
  cellId: string,
  sql: Sql,
  stats: { published: number; duplicates: number },
) {
  const registry = new MetricsRegistry({ service: "relay", cell: cellId });
  registerProcessMetrics(registry);
  const published = registry.counter("cellpay_outbox_published_total", "Events published to JetStream.");
  const duplicates = registry.counter(
    "cellpay_outbox_duplicates_total",
    "Events JetStream already had (republished after a crash).",
  );
  const backlog = registry.gauge("cellpay_outbox_backlog_events", "Events not yet published.");
  registry.onScrape(async () => {
    published.series().value = stats.published;
    duplicates.series().value = stats.duplicates;
    const rows = await sql<{ n: number }[]>`select count(*)::int as n from events where published_at is null`;
    backlog.set([], rows[0]?.n ?? 0);
  });
  return registry;
}

export type HandledOutcome = "ok" | "retry" | "dead";
export type AttemptStatus = "succeeded" | "pending" | "dead";

export interface ProcessorTelemetry {
  registry: MetricsRegistry;
  onHandled(consumer: string, outcome: HandledOutcome, seconds: number): void;
  onAttempt(status: AttemptStatus, ms: number): void;
  /** An event a consumer refused (no matching outbox row): each one is worth an alert. */
  onRefused(consumer: string, reason: string): void;
  /** The durable consumers whose lag to report. */
  watch(consumers: readonly string[]): void;
}

const attemptLabel: Record<AttemptStatus, string> = { succeeded: "ok", pending: "retried", dead: "dead" };

export function createProcessorTelemetry(cellId: string, jsm: JetStreamManager): ProcessorTelemetry {
  const registry = new MetricsRegistry({ service: "processor", cell: cellId });
  registerProcessMetrics(registry);
  const handled = registry.histogram(
    "cellpay_events_handled_seconds",
    "Events handled by consumer and outcome (ok, retry, dead).",
    ["consumer", "outcome"],
  );
  const lag = registry.gauge(
    "cellpay_consumer_lag_messages",
    "Durable consumer lag: pending (not yet delivered) and ack_pending (delivered, not acknowledged).",
    ["consumer", "kind"],
  );
  const deliveries = registry.histogram(
    "cellpay_webhook_attempt_duration_seconds",
    "Webhook delivery attempts by result: ok, retried (a retry is scheduled) or dead.",
    ["result"],
  );
  const refused = registry.counter(
    "cellpay_events_refused_total",
    "Events refused by consumer and reason (not_in_outbox, differs_from_outbox): forged or altered messages.",
    ["consumer", "reason"],
  );
  let watched: readonly string[] = [];
  const stream = eventsStream(cellId);
  registry.onScrape(async () => {
    await Promise.all(
      watched.map(async (name) => {
        const info = await jsm.consumers.info(stream, name);
        lag.set([name, "pending"], info.num_pending);
        lag.set([name, "ack_pending"], info.num_ack_pending);
      }),
    );
  });
  return {
    registry,
    onHandled: (consumer, outcome, seconds) => handled.observe([consumer, outcome], seconds),
    onAttempt: (status, ms) => deliveries.observe([attemptLabel[status]], ms / 1000),
    onRefused: (consumer, reason) => refused.inc([consumer, reason]),
    watch(consumers) {
      watched = consumers;
    },
  };
}
