// How long the time-partitioned tables keep their rows, read from the environment once at start.
// The outbox must outlive the JetStream stream plus the re-drive window: a re-drive re-publishes
// events from the outbox since a time, and a redelivered message must still find its outbox row
// and processed-event record, so a shorter retention would let an event be applied twice.
import { z } from "zod";
import { eventRetention } from "../../events/event-retention.ts";
import { EVENTS_STREAM_MAX_AGE_MS } from "../../events/streams.ts";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export const retentionEnvSchema = z.object({
  /** How far back a re-drive of the outbox may reach beyond what JetStream still holds
   *  (default: the margin of cell/events/event-retention.ts, the one place both windows are set). */
  CELLPAY_REDRIVE_WINDOW_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .default(eventRetention.outboxMarginDays * 24),
  /** Outbox and processed-event records; default: the JetStream max age plus the re-drive window. */
  CELLPAY_EVENTS_RETENTION_HOURS: z.coerce.number().int().min(1).optional(),
  /** Webhook deliveries and their attempts. */
  CELLPAY_DELIVERIES_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  /** Idempotency keys: the 24 h the API documents, counted from the key's day's end. */
  CELLPAY_IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(24).default(24),
  /** Day partitions made ahead of time, so a stopped maintainer has that long before it matters. */
  CELLPAY_PARTITIONS_AHEAD_DAYS: z.coerce.number().int().min(1).max(60).default(7),
});

export interface RetentionConfig {
  eventsMs: number;
  deliveriesMs: number;
  idempotencyKeysMs: number;
  aheadDays: number;
}

export function retentionConfigFrom(env: z.infer<typeof retentionEnvSchema>): RetentionConfig {
  const floorMs = EVENTS_STREAM_MAX_AGE_MS + env.CELLPAY_REDRIVE_WINDOW_HOURS * HOUR_MS;
  const eventsMs =
    env.CELLPAY_EVENTS_RETENTION_HOURS === undefined ? floorMs : env.CELLPAY_EVENTS_RETENTION_HOURS * HOUR_MS;
  if (eventsMs < floorMs) {
    throw new Error(
      `CELLPAY_EVENTS_RETENTION_HOURS: must be at least the JetStream max age (${EVENTS_STREAM_MAX_AGE_MS / HOUR_MS} h) plus CELLPAY_REDRIVE_WINDOW_HOURS (${env.CELLPAY_REDRIVE_WINDOW_HOURS} h) = ${floorMs / HOUR_MS} h`,
    );
  }
  return {
    eventsMs,
    deliveriesMs: env.CELLPAY_DELIVERIES_RETENTION_DAYS * DAY_MS,
    idempotencyKeysMs: env.CELLPAY_IDEMPOTENCY_RETENTION_HOURS * HOUR_MS,
    aheadDays: env.CELLPAY_PARTITIONS_AHEAD_DAYS,
  };
}

export const defaultRetention = (): RetentionConfig => retentionConfigFrom(retentionEnvSchema.parse({}));
