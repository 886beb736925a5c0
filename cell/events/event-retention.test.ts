import { describe, expect, it } from "vitest";
import {
  assertOutboxOutlivesStream,
  eventRetention,
  minOutboxRetentionDays,
  outboxDropBefore,
} from "./event-retention.ts";

describe("outbox retention outlives the stream", () => {
  it("refuses an outbox window shorter than the stream's max_age plus the margin", () => {
    expect(minOutboxRetentionDays).toBeGreaterThan(eventRetention.streamMaxAgeDays);
    expect(() => assertOutboxOutlivesStream(eventRetention.streamMaxAgeDays)).toThrow(/at least 14 days/);
    expect(() => assertOutboxOutlivesStream(Number.NaN)).toThrow();
    expect(() => assertOutboxOutlivesStream(minOutboxRetentionDays)).not.toThrow();
  });

  it("drops rows only older than the retention window", () => {
    const now = new Date("2026-03-15T00:00:00Z");
    expect(outboxDropBefore(now).toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(() => outboxDropBefore(now, 3)).toThrow();
  });
});
