// Counters of requests in flight: per partner (the bulkhead: a partner whose acquirer calls hang
// cannot take the whole gateway) and per gateway (admission control: past the bound, a fast 503
// instead of a queue that times out).
export class InFlight {
  private total = 0;
  private readonly byPartner = new Map<string, number>();

  get count(): number {
    return this.total;
  }

  of(partnerId: string): number {
    return this.byPartner.get(partnerId) ?? 0;
  }

  /** Claims a slot if under both bounds; returns the release function, or the bound that refused. */
  enter(partnerId: string | undefined, partnerMax: number): (() => void) | "partner" {
    if (partnerId !== undefined) {
      const n = this.of(partnerId);
      if (n >= partnerMax) return "partner";
      this.byPartner.set(partnerId, n + 1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (partnerId === undefined) return;
      const n = this.of(partnerId) - 1;
      if (n <= 0) this.byPartner.delete(partnerId);
      else this.byPartner.set(partnerId, n);
    };
  }

  /** The gateway-wide counter, separate so admission can run before authentication. */
  admit(max: number): (() => void) | undefined {
    if (this.total >= max) return undefined;
    this.total++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.total--;
      }
    };
  }
}
