// How long events are kept, in one place: the JetStream stream (transport) and the outbox (the
// `events` table, the source of truth a re-drive publishes from). A re-drive can only restore what
// the outbox still holds, so the outbox must keep every event at least as long as the stream keeps
// messages (plus a margin for the responder to notice a loss): anything that drops outbox rows
// (a retention job, dropping old partitions) must take its window from here, or call
// assertOutboxOutlivesStream with its own.

const DAY_MS = 24 * 60 * 60 * 1000;

export const eventRetention = {
  /** The events stream's max_age (cell/events/streams.ts). */
  streamMaxAgeDays: 7,
  /** The dead-letter stream's max_age. */
  deadLetterMaxAgeDays: 30,
  /** How long past the stream's max_age the outbox keeps rows, so a re-drive stays possible. */
  outboxMarginDays: 7,
  /** Nats-Msg-Id deduplication window of the events stream; past it, consumers deduplicate. */
  duplicateWindowMs: 10 * 60 * 1000,
} as const;

/** The shortest outbox retention allowed: the stream's max_age plus the margin. */
export const minOutboxRetentionDays = eventRetention.streamMaxAgeDays + eventRetention.outboxMarginDays;

/** Throws when an outbox retention would drop events the stream may still need re-driven. */
export function assertOutboxOutlivesStream(outboxRetentionDays: number): void {
  if (!(outboxRetentionDays >= minOutboxRetentionDays)) {
    throw new Error(
      `outbox retention of ${outboxRetentionDays} days is shorter than the events stream's max_age ` +
        `(${eventRetention.streamMaxAgeDays} days) plus the re-drive margin (${eventRetention.outboxMarginDays} days): ` +
        `keep outbox rows at least ${minOutboxRetentionDays} days (cell/events/event-retention.ts)`,
    );
  }
}

/** The oldest created_at an outbox row may be dropped before, for a retention window. */
export function outboxDropBefore(now: Date, outboxRetentionDays = minOutboxRetentionDays): Date {
  assertOutboxOutlivesStream(outboxRetentionDays);
  return new Date(now.getTime() - outboxRetentionDays * DAY_MS);
}
