import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker.ts";

const breaker = () => {
  const clock = { now: 0 };
  const b = new CircuitBreaker({ threshold: 3, coolDownMs: 1000, now: () => clock.now });
  return { b, clock };
};

describe("circuit breaker", () => {
  it("opens after the threshold of consecutive failures, and a success in between resets the count", () => {
    const { b } = breaker();
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
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
