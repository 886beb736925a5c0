// The decline bucket's arithmetic in its in-process form (the one used while Redis is down; the
// Redis script is exercised against a real Redis in test/security/card-testing.test.ts).
import { describe, expect, it } from "vitest";
import type { RedisHealth } from "../cache/redis-client.ts";
import { createDeclineVelocity } from "./decline-velocity.ts";

const health: RedisHealth = { degraded: 0, record() {} };
const limit = { maxDeclines: 3, windowMs: 60_000 };

describe("decline velocity (local)", () => {
  it("the Nth decline in quick succession trips once and pauses the partner for a window", async () => {
    const clock = { now: 1_000_000 };
    const v = createDeclineVelocity(undefined, health, () => clock.now);
    expect(await v.recordDecline("ptr_a", limit)).toBe(false);
    expect(await v.recordDecline("ptr_a", limit)).toBe(false);
    expect(await v.pausedFor("ptr_a")).toBe(0);
    expect(await v.recordDecline("ptr_a", limit)).toBe(true);
    expect(await v.pausedFor("ptr_a")).toBe(60_000);
    expect(await v.pausedFor("ptr_b")).toBe(0);
    // Further declines during the pause do not trip again (one alert per pause).
    expect(await v.recordDecline("ptr_a", limit)).toBe(false);
    expect(v.trips).toBe(1);
    clock.now += 60_000;
    expect(await v.pausedFor("ptr_a")).toBe(0);
  });

  it("declines spread out at the refill rate never trip", async () => {
    const clock = { now: 0 };
    const v = createDeclineVelocity(undefined, health, () => clock.now);
    for (let i = 0; i < 50; i++) {
      expect(await v.recordDecline("ptr_a", limit)).toBe(false);
      clock.now += limit.windowMs / limit.maxDeclines;
    }
  });
});
