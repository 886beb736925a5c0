// One cell's circuit breaker: after `threshold` consecutive failures the cell is skipped for
// `coolDownMs`, so its partners get a fast 503 instead of piling up on a dead cell; then one
// probe request is let through (half-open) and its outcome closes or re-opens the breaker.
//
// What counts as a failure is decided by the proxy (see isBreakerFailure in proxy.ts): transport
// errors, timeouts and 500/502/504 do; 4xx, 429 and 503 do not, because a 503 from a gateway is
// the cell shedding load or naming a dependency it lost (`overloaded`, `acquirer_unavailable`):
// the cell is alive and its own answer tells the partner more than ours would.

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  threshold: number;
  coolDownMs: number;
  now: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: BreakerState = "closed";
  private probeInFlight = false;

  constructor(private readonly opts: CircuitBreakerOptions) {}

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
    this.failures = 0;
    this.probeInFlight = false;
    this.current = "closed";
  }

  onFailure(): void {
    this.probeInFlight = false;
    if (this.current === "half_open") {
      this.open();
      return;
    }
    this.failures += 1;
    if (this.current === "closed" && this.failures >= this.opts.threshold) this.open();
  }

  /** The admitted request never reached the cell (e.g. no instance left): free the probe slot. */
  release(): void {
    this.probeInFlight = false;
  }

  private open(): void {
    this.current = "open";
    this.openedAt = this.opts.now();
    this.failures = 0;
  }
}
