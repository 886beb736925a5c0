// Zipf-skewed choice among n items: item i (0-based) is chosen with weight 1/(i+1)^s.
export interface Zipf {
  pick(random: () => number): number;
  share(i: number): number;
}

export function createZipf(n: number, s: number): Zipf {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / (i + 1) ** s;
    cdf[i] = total;
  }
  for (let i = 0; i < n; i++) cdf[i]! /= total;
  return {
    pick(random) {
      const u = random();
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    share: (i) => 1 / (i + 1) ** s / total,
  };
}
