// Per-partner queueing and concurrency inside one dispatcher: each partner has at most `perPartner`
// deliveries running and `perPartner` more leased and waiting (prefetch, so a freed slot starts
// the next delivery without a database round trip); all partners together at most `global`
// running. Partners take turns for free global slots (round robin), so none can starve another.
import type { ClaimedDelivery } from "../db/queries/webhooks.ts";

interface PartnerState {
  running: number;
  queue: { d: ClaimedDelivery; leasedAt: number }[];
}

export class PartnerSlots {
  private readonly partners = new Map<string, PartnerState>();
  private runningTotal = 0;
  private queuedTotal = 0;

  constructor(
    readonly perPartner: number,
    readonly global: number,
  ) {}

  /** Per partner: how many it may hold (running + waiting) before the claim skips it. */
  get perPartnerHold(): number {
    return this.perPartner * 2;
  }

  /** How many more deliveries this dispatcher may lease now. */
  freeToClaim(): number {
    return Math.max(0, this.global * 2 - this.runningTotal - this.queuedTotal);
  }

  /** Deliveries held per partner (running + waiting), for the claim's per-partner limit. */
  held(): Map<string, number> {
    const held = new Map<string, number>();
    for (const [p, s] of this.partners) held.set(p, s.running + s.queue.length);
    return held;
  }

  add(d: ClaimedDelivery, leasedAt: number): void {
    const s = this.partners.get(d.partner_id) ?? { running: 0, queue: [] };
    s.queue.push({ d, leasedAt });
    this.partners.set(d.partner_id, s);
    this.queuedTotal++;
  }

  /**
   * Deliveries that may start now, taking partners in turn; they count as running from here.
   * A waiting delivery leased before `staleBefore` is not started but returned in `stale`: its lease
   * may run out mid-attempt (global slots were scarce), and another dispatcher could then send it too.
   */
  startable(staleBefore: number): { start: ClaimedDelivery[]; stale: ClaimedDelivery[] } {
    const start: ClaimedDelivery[] = [];
    const stale: ClaimedDelivery[] = [];
    let progressed = true;
    while (progressed && this.runningTotal < this.global) {
      progressed = false;
      for (const [p, s] of [...this.partners]) {
        if (this.runningTotal >= this.global) break;
        while (s.queue[0] && s.queue[0].leasedAt < staleBefore) {
          stale.push(s.queue.shift()!.d);
          this.queuedTotal--;
        }
        if (s.running >= this.perPartner || s.queue.length === 0) continue;
        start.push(s.queue.shift()!.d);
        s.running++;
        this.runningTotal++;
        this.queuedTotal--;
        progressed = true;
        // Move the partner to the back: the next free global slot goes to someone else first.
        this.partners.delete(p);
        this.partners.set(p, s);
      }
    }
    return { start, stale };
  }

  done(partnerId: string): void {
    const s = this.partners.get(partnerId);
    if (!s) return;
    s.running--;
    this.runningTotal--;
    if (s.running === 0 && s.queue.length === 0) this.partners.delete(partnerId);
  }

  /** Empties every waiting queue (on stop: those leases are handed back unattempted). */
  drainQueued(): ClaimedDelivery[] {
    const out: ClaimedDelivery[] = [];
    for (const [p, s] of this.partners) {
      out.push(...s.queue.splice(0).map((q) => q.d));
      if (s.running === 0) this.partners.delete(p);
    }
    this.queuedTotal = 0;
    return out;
  }
}
