// Failed and successful outcomes over a sliding window, in ten time buckets: what the cell's
// breaker and the per-partner throttle both judge by ("at least N failures, and at least this
// share of the outcomes"). Fixed memory, nothing allocated per outcome.

const BUCKETS = 10;

export class OutcomeWindow {
  /** Outcomes per time bucket, a ring indexed by bucket number modulo BUCKETS. */
  private readonly failed = new Array<number>(BUCKETS).fill(0);
  private readonly succeeded = new Array<number>(BUCKETS).fill(0);
  private readonly bucketOf = new Array<number>(BUCKETS).fill(-1);
  private readonly bucketMs: number;

  constructor(
    windowMs: number,
    private readonly now: () => number,
  ) {
    this.bucketMs = Math.max(1, Math.floor(windowMs / BUCKETS));
  }

  success(): void {
    this.succeeded[this.slot()]! += 1;
  }

  failure(): void {
    this.failed[this.slot()]! += 1;
  }

  /** Whether the window holds at least `threshold` failures and they are at least `ratio` of all outcomes. */
  exceeds(threshold: number, ratio: number): boolean {
    let failures = 0;
    let total = 0;
    const oldest = Math.floor(this.now() / this.bucketMs) - BUCKETS + 1;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.bucketOf[i]! < oldest) continue;
      failures += this.failed[i]!;
      total += this.failed[i]! + this.succeeded[i]!;
    }
    return failures >= threshold && failures >= total * ratio;
  }

  clear(): void {
    this.failed.fill(0);
    this.succeeded.fill(0);
    this.bucketOf.fill(-1);
  }

  /** The ring slot of the current bucket, emptied first if it still holds an older bucket. */
  private slot(): number {
    const bucket = Math.floor(this.now() / this.bucketMs);
    const i = bucket % BUCKETS;
    if (this.bucketOf[i] !== bucket) {
      this.bucketOf[i] = bucket;
      this.failed[i] = 0;
      this.succeeded[i] = 0;
    }
    return i;
  }
}
