// Reads the Prometheus text our services write (registry.ts): `name{a="x",b="y"} value` lines,
// comments skipped. Not a general parser: enough for the control plane's own scraper.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    if (raw === "" || raw.startsWith("#")) continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const l of m[2].matchAll(label))
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    const v = m[3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[3]);
    out.push({ name: m[1]!, labels, value: v });
  }
  return out;
}

/** Sum of the samples named `name` whose labels pass `where`. */
export function sum(
  samples: readonly Sample[],
  name: string,
  where: (l: Record<string, string>) => boolean = () => true,
): number {
  let total = 0;
  for (const s of samples) if (s.name === name && where(s.labels)) total += s.value;
  return total;
}

/** Cumulative bucket counts by `le`, summed over the samples that pass `where`. */
export function buckets(
  samples: readonly Sample[],
  name: string,
  where: (l: Record<string, string>) => boolean = () => true,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !where(s.labels)) continue;
    const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/** Prometheus' histogram_quantile on cumulative buckets (linear within the bucket), in the unit of `le`. */
export function quantile(q: number, cumulative: Map<number, number>): number | null {
  const les = [...cumulative.keys()].sort((a, b) => a - b);
  const total = cumulative.get(Number.POSITIVE_INFINITY) ?? (les.length ? cumulative.get(les.at(-1)!)! : 0);
  if (!total || total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of les) {
    const count = cumulative.get(le)!;
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe;
      const inBucket = count - prevCount;
      return inBucket > 0 ? prevLe + ((le - prevLe) * (rank - prevCount)) / inBucket : le;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** b − a per key, a counter reset (negative) counting as b. */
export function bucketDelta(a: Map<number, number> | undefined, b: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [le, v] of b) {
    const before = a?.get(le) ?? 0;
    out.set(le, v >= before ? v - before : v);
  }
  return out;
}
