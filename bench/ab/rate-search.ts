// The highest open-loop rate at which a build answers every payment with p99 ≤ the bound: short
// steps at fixed arrival rates, first bracketing (×1.5 up, ÷2 down), then bisecting.
import type { Pool } from "undici";
import { type LoadResult, openLoop } from "./payment-load.ts";

export interface SearchStep {
  rate: number;
  pass: boolean;
  result: LoadResult;
}

export interface RateSearch {
  p99Bound: number;
  /** The highest rate that passed (payments/s offered = answered), or 0 if none did. */
  bestRate: number;
  bestP99: number | undefined;
  steps: SearchStep[];
}

export async function searchRate(
  pool: Pool,
  apiKey: string,
  opts: { start: number; steps: number; stepSeconds: number; p99Bound: number },
): Promise<RateSearch> {
  const steps: SearchStep[] = [];
  let lo: SearchStep | undefined;
  let hi: number | undefined;
  let rate = Math.max(10, Math.round(opts.start));
  for (let i = 0; i < opts.steps; i++) {
    // A short lead-in at the step's rate, so the step starts from a steady queue, not an empty one.
    await openLoop(pool, apiKey, rate, 2);
    const result = await openLoop(pool, apiKey, rate, opts.stepSeconds);
    const pass = result.payments === result.sent && result.p99 <= opts.p99Bound;
    steps.push({ rate, pass, result });
    console.log(
      `    search: ${rate}/s → p99 ${result.p99} ms, ${result.sent - result.payments} failed: ${pass ? "holds" : "does not hold"}`,
    );
    if (pass && (!lo || rate > lo.rate)) lo = { rate, pass, result };
    if (!pass) hi = Math.min(hi ?? rate, rate);
    if (hi === undefined) rate = Math.round(rate * 1.5);
    else if (!lo) rate = Math.round(rate / 2);
    else if (hi / lo.rate < 1.08) break;
    else rate = Math.round((lo.rate + hi) / 2);
    if (rate < 10) break;
  }
  return { p99Bound: opts.p99Bound, bestRate: lo?.rate ?? 0, bestP99: lo?.result.p99, steps };
}
