import { describe, expect, it } from "vitest";
import { PartnerErrorThrottle } from "./partner-error-throttle.ts";

const throttle = () => {
  const clock = { now: 0 };
  const t = new PartnerErrorThrottle({
    threshold: 3,
    windowMs: 10_000,
    throttleMs: 5_000,
    now: () => clock.now,
    maxPartners: 2,
  });
  return { t, clock };
};

describe("partner error throttle", () => {
  it("throttles a partner after the threshold of 5xx, for the throttle period, and no other partner", () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 2; i++) t.record("ptr_a", 500);
    expect(t.waitMs("ptr_a")).toBe(0);
    t.record("ptr_a", 500);
    expect(t.waitMs("ptr_a")).toBe(5_000);
    expect(t.waitMs("ptr_b")).toBe(0);
    clock.now = 4_999;
    expect(t.waitMs("ptr_a")).toBe(1);
    clock.now = 5_000;
    expect(t.waitMs("ptr_a")).toBe(0);
    // Judged afresh: one more 500 is not enough to throttle again.
    t.record("ptr_a", 500);
    expect(t.waitMs("ptr_a")).toBe(0);
  });

  it("leaves a partner whose failures are a minority of its requests alone", () => {
    const { t } = throttle();
    t.record("ptr_a", 500);
    for (let i = 0; i < 10; i++) t.record("ptr_a", 200);
    for (let i = 0; i < 4; i++) t.record("ptr_a", 500);
    expect(t.waitMs("ptr_a")).toBe(0);
  });

  it("does not count the cell speaking for itself (502/503/504) or 4xx against the partner", () => {
    const { t } = throttle();
    for (const status of [502, 503, 504, 400, 404, 429])
      for (let i = 0; i < 5; i++) t.record("ptr_a", status);
    expect(t.waitMs("ptr_a")).toBe(0);
  });

  it("keeps at most maxPartners; an evicted partner starts afresh", () => {
    const { t } = throttle();
    for (let i = 0; i < 3; i++) t.record("ptr_a", 500);
    t.record("ptr_b", 500);
    t.record("ptr_c", 500);
    expect(t.waitMs("ptr_a")).toBe(0);
  });
});
