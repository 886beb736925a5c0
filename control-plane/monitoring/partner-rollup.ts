// Per-partner figures for the dashboard, from the gateways' bounded per-partner maps
// (shared/telemetry/partner-stats.ts): each scrape's cumulative counters minus the previous
// scrape's, per gateway instance, summed over a cell's instances. Only partners with traffic
// have an entry, and each keeps a short series, so 1,000+ partners cost a few hundred KB.
import {
  type PartnerStat,
  type PartnerStatsSnapshot,
  partnerLatencyBoundsMs,
  partnerQuantileMs,
} from "../../shared/telemetry/partner-stats.ts";

export interface PartnerPoint {
  t: number;
  rps: number;
  errorRate: number;
  p99Ms: number | null;
}

export interface PartnerLive {
  id: string;
  cell: string;
  rps: number;
  errorsPerSec: number;
  errorRate: number;
  rateLimitedPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  requestsTotal: number;
  /** Consecutive scrapes with rate-limit refusals (the "at its limit for long" alert). */
  limitedStreak: number;
  series: PartnerPoint[];
}

const SERIES_POINTS = 90;

interface Window {
  requests: number;
  errors: number;
  rateLimited: number;
  latency: number[];
}

const diff = (a: number | undefined, b: number) => (a === undefined ? b : b >= a ? b - a : b);

/** Adds the window between two snapshots of one gateway to `acc` (partner → window). */
export function addWindow(
  acc: Map<string, Window>,
  before: PartnerStatsSnapshot | undefined,
  now: PartnerStatsSnapshot,
): void {
  if (!before) return; // the first scrape of an instance only sets the baseline
  for (const [id, s] of Object.entries(now.partners)) {
    const p: PartnerStat | undefined = before.partners[id];
    const w = acc.get(id) ?? {
      requests: 0,
      errors: 0,
      rateLimited: 0,
      latency: new Array<number>(partnerLatencyBoundsMs.length + 1).fill(0),
    };
    w.requests += diff(p?.requests, s.requests);
    w.errors += diff(p?.errors, s.errors);
    w.rateLimited += diff(p?.rateLimited, s.rateLimited);
    s.latency.forEach((v, i) => {
      w.latency[i]! += diff(p?.latency[i], v);
    });
    acc.set(id, w);
  }
}

export function applyWindow(
  partners: Map<string, PartnerLive>,
  cell: string,
  windows: Map<string, Window>,
  t: number,
  seconds: number,
): void {
  for (const [id, w] of windows) {
    let live = partners.get(id);
    if (!live) {
      if (w.requests === 0) continue;
      live = {
        id,
        cell,
        rps: 0,
        errorsPerSec: 0,
        errorRate: 0,
        rateLimitedPerSec: 0,
        p50Ms: null,
        p99Ms: null,
        requestsTotal: 0,
        limitedStreak: 0,
        series: [],
      };
      partners.set(id, live);
    }
    live.cell = cell;
    const per = (n: number) => (seconds > 0 ? Math.round((n / seconds) * 100) / 100 : 0);
    live.rps = per(w.requests);
    live.errorsPerSec = per(w.errors);
    live.errorRate = w.requests > 0 ? w.errors / w.requests : 0;
    live.rateLimitedPerSec = per(w.rateLimited);
    live.p50Ms = partnerQuantileMs(w.latency, 0.5);
    live.p99Ms = partnerQuantileMs(w.latency, 0.99);
    live.requestsTotal += w.requests;
    live.limitedStreak = w.rateLimited > 0 ? live.limitedStreak + 1 : 0;
    live.series.push({ t, rps: live.rps, errorRate: live.errorRate, p99Ms: live.p99Ms });
    if (live.series.length > SERIES_POINTS) live.series.shift();
  }
}
