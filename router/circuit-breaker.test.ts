import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { isBreakerFailure } from "./proxy.ts";

const breaker = () => {
  const clock = { now: 0 };
  const b = new CircuitBreaker({ threshold: 3, coolDownMs: 1000, now: () => clock.now });
  return { b, clock };
};

describe("circuit breaker", () => {
  it("opens once the window holds the threshold of failures and they are at least half the outcomes", () => {
    const { b } = breaker();
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    expect(b.tryAcquire()).toBe(true);
    b.onFailure(); // 3 failures of 4 outcomes
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
  });

  it("stays closed while most requests succeed, however many of the others fail", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 40; i++) {
      clock.now += 50;
      b.onSuccess();
      b.onSuccess();
      b.onFailure(); // a third of the outcomes fail: a loaded cell, not a dead one
    }
    expect(b.state).toBe("closed");
  });

  it("forgets outcomes older than the window", () => {
    const { b, clock } = breaker();
    b.onFailure();
    b.onFailure();
    clock.now = 20_000; // the two failures are out of the 10 s window
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe("closed");
    b.onFailure();
    expect(b.state).toBe("open");
  });

  it("lets exactly one probe through after the cool-down; its success closes the breaker", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    clock.now = 999;
    expect(b.tryAcquire()).toBe(false);
    clock.now = 1000;
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.onSuccess();
    expect(b.state).toBe("closed");
    expect(b.tryAcquire()).toBe(true);
  });

  it("re-opens for another cool-down when the probe fails", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    clock.now = 1500;
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe("open");
    expect(b.retryAfterSeconds()).toBe(1);
    clock.now = 2400;
    expect(b.tryAcquire()).toBe(false);
    clock.now = 2500;
    expect(b.tryAcquire()).toBe(true);
  });
});

describe("what the breaker counts (the cell, never one partner)", () => {
  it("counts 502/504 and a 503 naming the cell's own outage or no cellpay code", () => {
    expect(isBreakerFailure(502, undefined)).toBe(true);
    expect(isBreakerFailure(504, undefined)).toBe(true);
    expect(isBreakerFailure(503, "service_unavailable")).toBe(true);
    expect(isBreakerFailure(503, undefined)).toBe(true);
  });

  it("does not count a 500 (one request's answer), shedding, a lost acquirer, a move, or any 4xx", () => {
    expect(isBreakerFailure(500, "internal_error")).toBe(false);
    expect(isBreakerFailure(500, undefined)).toBe(false);
    expect(isBreakerFailure(503, "overloaded")).toBe(false);
    expect(isBreakerFailure(503, "acquirer_unavailable")).toBe(false);
    expect(isBreakerFailure(503, "partner_moving")).toBe(false);
    for (const status of [400, 401, 404, 409, 422, 429])
      expect(isBreakerFailure(status, undefined)).toBe(false);
  });
});
