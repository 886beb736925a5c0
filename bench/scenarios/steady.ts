// steady: the seed's average (500 TPS by default) after a short warm-up.
import type { BenchContext, ScenarioResult } from "../lib/context.ts";
import { errorsBy, summarize } from "../lib/stats.ts";
import { verifyNothingLost } from "../lib/verify.ts";

export async function runSteady(ctx: BenchContext): Promise<ScenarioResult> {
  const seconds = ctx.opts.duration ?? 120;
  const warmup = 10; // JIT, connection pools and caches of freshly started processes
  const phaseAt = (t: number) => (t < warmup ? "warmup" : "steady");
  // The warm-up ramps from 20% to the full rate: freshly started processes (cold JIT, empty key
  // caches, pools still connecting) would otherwise start the measured phase behind a queue.
  const rateAt = (t: number) => (t < warmup ? ctx.opts.rate * (0.2 + (0.8 * t) / warmup) : ctx.opts.rate);
  await ctx.gen.run({
    seconds: warmup + seconds,
    streams: [{ rateAt, phaseAt, pickPartner: () => ctx.pickPartner() }],
    onSecond: (t) => ctx.tick(t, phaseAt(t), rateAt(t)),
  });
  const measured = ctx.gen.samples.filter((s) => s.phase === "steady");
  const summary = summarize(measured);
  const errors = errorsBy(measured);
  return {
    measured: ["steady"],
    checks: [
      { name: "no failed request", pass: summary.ok === summary.count, detail: JSON.stringify(errors) },
      await verifyNothingLost(ctx.platform, ctx.workload),
    ],
    notes: [],
    extra: {},
  };
}
