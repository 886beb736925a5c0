// Every request's outcome, kept whole (a few hundred thousand rows fit easily), and the summaries
// the report needs: percentiles per operation and per cell, errors by status/code, per-second series.
export interface Sample {
  /** Intended send time, ms since the run's start. */
  t: number;
  /** From intended send time to the complete answer, ms. */
  latency: number;
  op: string;
  cell: string;
  partner: number;
  status: number;
  code: string | undefined;
  /** A refused request said when to come back. */
  retryAfter?: boolean;
  /** The run's phase (e.g. "steady", "spike", "step-3"), for scenario checks. */
  phase: string;
}

export interface LatencySummary {
  count: number;
  ok: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const isOk = (s: Sample) => s.status >= 200 && s.status < 300;

export function summarize(samples: Sample[]): LatencySummary {
  const lat = Float64Array.from(samples, (s) => s.latency).sort();
  const r = (n: number) => Math.round(n * 100) / 100;
  return {
    count: samples.length,
    ok: samples.filter(isOk).length,
    p50: r(percentile(lat, 50)),
    p90: r(percentile(lat, 90)),
    p99: r(percentile(lat, 99)),
    p999: r(percentile(lat, 99.9)),
    max: r(lat[lat.length - 1] ?? Number.NaN),
  };
}

export function groupBy<K extends string>(samples: Sample[], key: (s: Sample) => K): Record<K, Sample[]> {
  const out = {} as Record<K, Sample[]>;
  for (const s of samples) {
    const k = key(s);
    out[k] ??= [];
    out[k].push(s);
  }
  return out;
}

export function summarizeBy(samples: Sample[], key: (s: Sample) => string): Record<string, LatencySummary> {
  const groups = groupBy(samples, key);
  return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, summarize(v)]));
}

export function errorsBy(samples: Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (isOk(s)) continue;
    const k = `${s.status} ${s.code ?? ""}`.trim();
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export interface SecondPoint {
  second: number;
  sent: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
}

/** One point per second of intended send time. */
export function perSecond(samples: Sample[]): SecondPoint[] {
  const buckets: Sample[][] = [];
  for (const s of samples) {
    const i = Math.floor(s.t / 1000);
    buckets[i] ??= [];
    buckets[i].push(s);
  }
  return Array.from(buckets, (b, second) => {
    const list = b ?? [];
    const lat = Float64Array.from(list, (s) => s.latency).sort();
    const ok = list.filter(isOk).length;
    return {
      second,
      sent: list.length,
      ok,
      errors: list.length - ok,
      p50: Math.round(percentile(lat, 50) * 10) / 10,
      p99: Math.round(percentile(lat, 99) * 10) / 10,
    };
  });
}
