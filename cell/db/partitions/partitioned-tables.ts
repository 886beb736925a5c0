// The tables kept by time (migration 0008): which column partitions each one, and which retention
// applies. Partitions are one UTC day each, named <table>_pYYYYMMDD; the archive partition the
// migration made, <table>_uptoYYYYMMDD, holds everything before that day.
import type { IdPrefix } from "../../../shared/ids.ts";
import type { RetentionConfig } from "./retention-config.ts";

export interface PartitionedTable {
  table: string;
  /** A time-sortable id column (bounds are ids made at midnight) or a timestamptz column. */
  key: { kind: "id"; column: string; prefix: IdPrefix } | { kind: "time"; column: string };
  retention: keyof Pick<RetentionConfig, "eventsMs" | "deliveriesMs" | "idempotencyKeysMs">;
  /**
   * Rows that must outlive retention: a partition holding any is kept (and reported) until they
   * are gone. An event not yet published, a delivery still being retried, is work, not history.
   */
  keepWhile?: string;
}

export const partitionedTables: readonly PartitionedTable[] = [
  {
    table: "events",
    key: { kind: "id", column: "id", prefix: "evt" },
    retention: "eventsMs",
    keepWhile: "published_at is null",
  },
  // Same retention as the outbox: a redelivery JetStream still holds must find its record.
  {
    table: "processed_events",
    key: { kind: "id", column: "event_id", prefix: "evt" },
    retention: "eventsMs",
  },
  {
    table: "webhook_deliveries",
    key: { kind: "id", column: "event_id", prefix: "evt" },
    retention: "deliveriesMs",
    keepWhile: "status = 'pending'",
  },
  {
    table: "webhook_attempts",
    key: { kind: "id", column: "delivery_id", prefix: "wd" },
    retention: "deliveriesMs",
  },
  { table: "idempotency_keys", key: { kind: "time", column: "created_at" }, retention: "idempotencyKeysMs" },
];
