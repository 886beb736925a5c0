// Per partner, the 5xx its own requests get from its cell (the cell answered, so the cell's
// breaker counts them as answers, see circuit-breaker.ts). A partner whose requests keep failing
// (at least `threshold` 5xx in the window, and at least half of its outcomes) is refused here
// with 429 `partner_throttled` for `throttleMs`: whatever it sends that breaks, it costs the cell
// `threshold` requests per period, not its whole request rate, and no other partner is touched.
// The ratio keeps a busy partner that sees the odd 500 among thousands of successes unthrottled.
//
// Bounded: only partners that had a 5xx are tracked (a healthy partner costs one map miss), in an
// LRU of `maxPartners`; an evicted partner starts afresh, which is the lenient direction.
import { LRUCache } from "lru-cache";
import { OutcomeWindow } from "./outcome-window.ts";

export interface PartnerErrorThrottleOptions {
  threshold: number;
  windowMs: number;
  throttleMs: number;
  now: () => number;
  /** Share of the partner's outcomes in the window that must be 5xx (default 0.5). */
  failureRatio?: number;
  maxPartners?: number;
}

interface PartnerErrors {
  outcomes: OutcomeWindow;
  throttledUntil: number;
}

/**
 * Whether a status the cell answered counts against the partner: a 5xx that is not the cell
 * speaking for itself (502/504 from in front of it, 503 shedding, moving or a lost dependency).
 */
export const isPartnerError = (status: number): boolean =>
  status >= 500 && status !== 502 && status !== 503 && status !== 504;

export class PartnerErrorThrottle {
  private readonly partners: LRUCache<string, PartnerErrors>;
  private readonly failureRatio: number;

  constructor(private readonly opts: PartnerErrorThrottleOptions) {
    this.partners = new LRUCache({ max: opts.maxPartners ?? 10_000 });
    this.failureRatio = opts.failureRatio ?? 0.5;
  }

  /** Milliseconds the partner must still wait, or 0 when its requests may go to the cell. */
  waitMs(partnerId: string): number {
    const entry = this.partners.get(partnerId);
    if (!entry || entry.throttledUntil === 0) return 0;
    const left = entry.throttledUntil - this.opts.now();
    if (left > 0) return left;
    entry.throttledUntil = 0;
    return 0;
  }

  /** Records the status the cell answered one of the partner's requests with. */
  record(partnerId: string, status: number): void {
    let entry = this.partners.get(partnerId);
    if (!isPartnerError(status)) {
      entry?.outcomes.success();
      return;
    }
    if (!entry) {
      entry = { outcomes: new OutcomeWindow(this.opts.windowMs, this.opts.now), throttledUntil: 0 };
      this.partners.set(partnerId, entry);
    }
    entry.outcomes.failure();
    if (entry.outcomes.exceeds(this.opts.threshold, this.failureRatio)) {
      entry.throttledUntil = this.opts.now() + this.opts.throttleMs;
      // Judged afresh after the throttle: the partner gets `threshold` tries again, not one.
      entry.outcomes.clear();
    }
  }
}
