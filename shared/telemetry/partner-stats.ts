// Per-partner request figures without a partner label on any metric: a bounded in-process map
// using the Space-Saving algorithm (Metwally et al.). It keeps at most `capacity` partners; when
// full, a new partner replaces the one with the fewest requests and inherits that count as its
// error bound (`overcount`), so the heavy hitters (top partners by traffic) are always exact up
// to that bound while memory stays O(capacity). With capacity ≥ the cell's partner count (4096 by
// default, 1,000+ partners spread over cells) nothing is ever evicted and every figure is exact.
// Counters are cumulative; the control plane scrapes them and takes differences for rates.

/** Upper bounds (ms) of the small per-partner latency histogram: enough for a p50/p99 estimate. */
export const partnerLatencyBoundsMs = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000] as const;

export interface PartnerStat {
  requests: number;
  errors: number;
  rateLimited: number;
  latencyMsSum: number;
  /** Counts per partnerLatencyBoundsMs bucket, and one more for anything slower. */
  latency: number[];
  /** Space-Saving's error bound: requests counted here that may belong to evicted partners. */
  overcount: number;
}

export interface PartnerStatsSnapshot {
  capacity: number;
  evictions: number;
  partners: Record<string, PartnerStat>;
}

export class PartnerStats {
  private readonly map = new Map<string, PartnerStat>();
  private evictions = 0;

  constructor(readonly capacity = 4096) {}

  /** One finished request of a partner. `status` is the HTTP status sent. */
  record(partnerId: string, status: number, ms: number): void {
    let s = this.map.get(partnerId);
    if (!s) s = this.admit(partnerId);
    s.requests++;
    if (status >= 500) s.errors++;
    else if (status === 429) s.rateLimited++;
    s.latencyMsSum += ms;
    const b = partnerLatencyBoundsMs;
    let i = 0;
    while (i < b.length && ms > b[i]!) i++;
    s.latency[i]!++;
  }

  private admit(partnerId: string): PartnerStat {
    const fresh: PartnerStat = {
      requests: 0,
      errors: 0,
      rateLimited: 0,
      latencyMsSum: 0,
      latency: new Array<number>(partnerLatencyBoundsMs.length + 1).fill(0),
      overcount: 0,
    };
    if (this.map.size >= this.capacity) {
      // O(capacity), but only when a partner beyond the capacity shows up.
      let minId: string | undefined;
      let min = Number.POSITIVE_INFINITY;
      for (const [id, s] of this.map) {
        if (s.requests < min) {
          min = s.requests;
          minId = id;
        }
      }
      if (minId !== undefined) {
        this.map.delete(minId);
        this.evictions++;
        fresh.requests = min;
        fresh.overcount = min;
      }
    }
    this.map.set(partnerId, fresh);
    return fresh;
  }

  snapshot(): PartnerStatsSnapshot {
    return { capacity: this.capacity, evictions: this.evictions, partners: Object.fromEntries(this.map) };
  }
}

/** The ms bound under which `q` of the requests fall, from a partner's bucket counts. */
export function partnerQuantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return partnerLatencyBoundsMs[i] ?? partnerLatencyBoundsMs.at(-1)! * 2;
  }
  return partnerLatencyBoundsMs.at(-1)! * 2;
}
