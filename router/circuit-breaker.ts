// One cell's circuit breaker. It opens when, over the last `windowMs`, at least `threshold`
// requests failed AND they were at least `failureRatio` of the outcomes: a dead cell (every
// request failing) opens it after `threshold` failures, while a loaded cell whose slowest requests
// time out but most succeed keeps its traffic (a count of consecutive failures opened it in a
// contended warm-up, shedding the requests that were succeeding). Open, the cell is skipped for
// `coolDownMs`, so its partners get a fast 503 instead of piling up on a dead cell; then one probe
// request is let through (half-open) and its outcome closes or re-opens the breaker.
//
// It measures the cell, never one partner. What counts as a failure is decided by the proxy (see
// isBreakerFailure in proxy.ts): transport errors, timeouts, and the cell's own signals that it
// cannot serve anyone (a 502/504 from in front of its gateways, a 503 `service_unavailable` when
// its Postgres is gone). An ordinary 500 is one request's answer, and it counts as the cell
// answering: otherwise one partner provoking 500s opens the breaker for every partner of the cell
// (it did: three requests took a cell offline for 15 s). Those 500s are held against the partner
// instead (partner-error-throttle.ts). A 503 `overloaded` is the cell shedding load on purpose and
// does not count either: opening would turn a partial overload into a total outage, and the
// cell's own shedding is already fast.

import { OutcomeWindow } from "./outcome-window.ts";

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Failures in the window before the ratio is even considered. */
  threshold: number;
  coolDownMs: number;
  now: () => number;
  /** Share of failed outcomes in the window that opens the breaker (default 0.5). */
  failureRatio?: number;
  /** The sliding window the outcomes are counted over (default 10 s, in 10 buckets). */
  windowMs?: number;
}

export class CircuitBreaker {
  private readonly outcomes: OutcomeWindow;
  private readonly failureRatio: number;
  private openedAt = 0;
  private current: BreakerState = "closed";
  private probeInFlight = false;

  constructor(private readonly opts: CircuitBreakerOptions) {
    this.outcomes = new OutcomeWindow(opts.windowMs ?? 10_000, opts.now);
    this.failureRatio = opts.failureRatio ?? 0.5;
  }

  get state(): BreakerState {
    return this.current;
  }

  /**
   * Whether a request may go to the cell now. In half-open only one probe is admitted; the
   * caller must report its outcome with onSuccess/onFailure (or release() if it never ran).
   */
  tryAcquire(): boolean {
    if (this.current === "closed") return true;
    if (this.current === "open") {
      if (this.opts.now() - this.openedAt < this.opts.coolDownMs) return false;
      this.current = "half_open";
      this.probeInFlight = false;
    }
    if (this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** Seconds a refused caller should wait before trying again (for Retry-After). */
  retryAfterSeconds(): number {
    if (this.current !== "open") return 1;
    const left = this.opts.coolDownMs - (this.opts.now() - this.openedAt);
    return Math.max(1, Math.ceil(left / 1000));
  }

  onSuccess(): void {
    this.probeInFlight = false;
    if (this.current !== "closed") {
      // The probe succeeded: start the window afresh rather than judge on the outage's failures.
      this.outcomes.clear();
      this.current = "closed";
    }
    this.outcomes.success();
  }

  onFailure(): void {
    this.probeInFlight = false;
    if (this.current === "half_open") {
      this.open();
      return;
    }
    this.outcomes.failure();
    if (this.current !== "closed") return;
    if (this.outcomes.exceeds(this.opts.threshold, this.failureRatio)) this.open();
  }

  /** The admitted request never reached the cell (e.g. no instance left): free the probe slot. */
  release(): void {
    this.probeInFlight = false;
  }

  private open(): void {
    this.current = "open";
    this.openedAt = this.opts.now();
    this.outcomes.clear();
  }
}
