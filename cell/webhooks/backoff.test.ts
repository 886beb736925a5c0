import { describe, expect, it } from "vitest";
import { backoffDelayMs, decideRetry } from "./backoff.ts";

const policy = { baseMs: 1000, capMs: 3_600_000, maxAgeMs: 3 * 24 * 3_600_000 };

describe("webhook retry backoff", () => {
  it("the ceiling doubles with each failure from the base and stops at the cap", () => {
    const max = (n: number) => backoffDelayMs(n, policy, () => 0.999999);
    expect([1, 2, 3, 4].map(max)).toEqual([999, 1999, 3999, 7999]);
    expect(max(13)).toBe(3_599_996);
    expect(max(40)).toBe(3_599_996);
    expect(max(10_000)).toBe(3_599_996);
  });

  it("full jitter: delays spread uniformly over [0, ceiling]", () => {
    const samples = Array.from({ length: 2000 }, () => backoffDelayMs(4, policy));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(8000);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(3400);
    expect(mean).toBeLessThan(4600);
    expect(backoffDelayMs(4, policy, () => 0)).toBe(0);
  });

  it("retries until the max age, with a last try at the deadline, then the delivery is dead", () => {
    const created = new Date("2030-01-01T00:00:00Z");
    const at = (ms: number) => new Date(created.getTime() + ms);
    const early = decideRetry(1, created, at(0), policy, () => 0.5);
    expect(early).toEqual({ status: "pending", nextAttemptAt: at(500) });
    const nearEnd = decideRetry(30, created, at(policy.maxAgeMs - 1000), policy, () => 1);
    expect(nearEnd).toEqual({ status: "pending", nextAttemptAt: at(policy.maxAgeMs) });
    expect(decideRetry(31, created, at(policy.maxAgeMs), policy)).toEqual({ status: "dead" });
  });
});
