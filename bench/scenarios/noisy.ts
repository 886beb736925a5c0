// noisy: one partner sends 20x its rate limit; every other partner's p99 must stay within 10% of
// the same load without it, and none of their requests may fail.
import type { BenchContext, ScenarioResult } from "../lib/context.ts";
import { isOk, summarize } from "../lib/stats.ts";

export async function runNoisy(ctx: BenchContext): Promise<ScenarioResult> {
  const half = ctx.opts.duration ?? 40;
  const warmup = 5;
  // A partner of middling size, so its own Zipf traffic is small next to its flood.
  const noisy = ctx.partners[Math.min(ctx.partners.length - 1, 10)]!;
  const limit = { rate: 20, burst: 40 };
  await ctx.admin.setLimits(noisy.id, { rate_limit: limit, max_concurrency: 64 });
  const phaseAt = (t: number) => (t < warmup ? "warmup" : t < warmup + half ? "quiet" : "noisy");
  const others = (p: { index: number }) => p.index !== noisy.index;
  await ctx.gen.run({
    seconds: warmup + 2 * half,
    streams: [
      { rateAt: () => ctx.opts.rate, phaseAt, pickPartner: () => ctx.pickPartner(others) },
      {
        label: "flood",
        op: "pay_auto",
        rateAt: (t) => (phaseAt(t) === "noisy" ? limit.rate * 20 : 0),
        phaseAt,
        pickPartner: () => noisy,
      },
    ],
    onSecond: (t) => ctx.tick(t, phaseAt(t), ctx.opts.rate + (phaseAt(t) === "noisy" ? limit.rate * 20 : 0)),
  });
  const quiet = summarize(ctx.gen.samples.filter((s) => s.phase === "quiet"));
  const noisyOthers = summarize(ctx.gen.samples.filter((s) => s.phase === "noisy"));
  const flood = ctx.gen.samples.filter((s) => s.phase === "flood:noisy");
  const floodRefused = flood.filter((s) => !isOk(s));
  return {
    measured: ["quiet", "noisy"],
    checks: [
      {
        name: "others' p99 within 10% of the quiet phase",
        pass: noisyOthers.p99 <= quiet.p99 * 1.1,
        detail: `quiet p99 ${quiet.p99} ms, with the noisy partner ${noisyOthers.p99} ms`,
      },
      {
        name: "no other partner's request failed",
        pass: noisyOthers.ok === noisyOthers.count,
        detail: `${noisyOthers.count - noisyOthers.ok} failed of ${noisyOthers.count}`,
      },
      {
        name: "the flood was limited (429 with Retry-After)",
        pass: floodRefused.every((s) => s.status === 429 && s.retryAfter),
        detail: `${flood.length - floodRefused.length} accepted of ${flood.length} (limit ${limit.rate}/s, burst ${limit.burst})`,
      },
    ],
    notes: [
      `noisy partner #${noisy.index} (${noisy.cell}) at ${limit.rate * 20}/s against a limit of ${limit.rate}/s`,
    ],
    extra: { quiet, noisy: noisyOthers },
  };
}
