// One cell's circuit breaker. It opens when, over the last `windowMs`, at least `threshold`
// requests failed AND they were at least `failureRatio` of the outcomes: a dead cell (every
// request failing) opens it after `threshold` failures, while a loaded cell whose slowest requests
// time out but most succeed keeps its traffic (a count of consecutive failures opened it in a
// contended warm-up, shedding the requests that were succeeding). Open, the cell is skipped for
// `coolDownMs`, so its partners get a fast 503 instead of piling up on a dead cell; then one probe
// request is let through (half-open) and its outcome closes or re-opens the breaker.
//
// What counts as a failure is decided by the proxy (see isBreakerFailure in proxy.ts): transport
// errors, timeouts and 500/502/504 do; 4xx, 429 and 503 do not, because a 503 from a gateway is
// the cell shedding load or naming a dependency it lost (`overloaded`, `acquirer_unavailable`):
// the cell is alive and its own answer tells the partner more than ours would.

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

const BUCKETS = 10;

export class CircuitBreaker {
  /** Outcomes per time bucket, a ring indexed by bucket number modulo BUCKETS. */
  private readonly failed = new Array<number>(BUCKETS).fill(0);
  private readonly succeeded = new Array<number>(BUCKETS).fill(0);
  private readonly bucketOf = new Array<number>(BUCKETS).fill(-1);
  private readonly bucketMs: number;
  private readonly failureRatio: number;
  private openedAt = 0;
  private current: BreakerState = "closed";
  private probeInFlight = false;

  constructor(private readonly opts: CircuitBreakerOptions) {
    this.bucketMs = Math.max(1, Math.floor((opts.windowMs ?? 10_000) / BUCKETS));
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
      this.clear();
      this.current = "closed";
    }
    this.succeeded[this.slot()]! += 1;
  }

  onFailure(): void {
    this.probeInFlight = false;
    if (this.current === "half_open") {
      this.open();
      return;
    }
    this.failed[this.slot()]! += 1;
    if (this.current !== "closed") return;
    let failures = 0;
    let total = 0;
    const oldest = Math.floor(this.opts.now() / this.bucketMs) - BUCKETS + 1;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.bucketOf[i]! < oldest) continue;
      failures += this.failed[i]!;
      total += this.failed[i]! + this.succeeded[i]!;
    }
    if (failures >= this.opts.threshold && failures >= total * this.failureRatio) this.open();
  }

  /** The ring slot of the current bucket, emptied first if it still holds an older bucket. */
  private slot(): number {
    const bucket = Math.floor(this.opts.now() / this.bucketMs);
    const i = bucket % BUCKETS;
    if (this.bucketOf[i] !== bucket) {
      this.bucketOf[i] = bucket;
      this.failed[i] = 0;
      this.succeeded[i] = 0;
    }
    return i;
  }

  private clear(): void {
    this.failed.fill(0);
    this.succeeded.fill(0);
    this.bucketOf.fill(-1);
  }

  /** The admitted request never reached the cell (e.g. no instance left): free the probe slot. */
  release(): void {
    this.probeInFlight = false;
  }

  private open(): void {
    this.current = "open";
    this.openedAt = this.opts.now();
    this.clear();
  }
}
