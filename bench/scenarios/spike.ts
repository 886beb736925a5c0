// spike: 5x the base rate for 30 s on top of steady. Nothing lost; whatever was shed answered
// 429 or 503 with Retry-After.
import type { BenchContext, ScenarioResult } from "../lib/context.ts";
import { isOk } from "../lib/stats.ts";
import { verifyNothingLost } from "../lib/verify.ts";

export async function runSpike(ctx: BenchContext): Promise<ScenarioResult> {
  const before = 20;
  const spike = ctx.opts.duration ?? 30;
  const after = 20;
  const phaseAt = (t: number) => (t < before ? "before" : t < before + spike ? "spike" : "after");
  const rateAt = (t: number) => (phaseAt(t) === "spike" ? ctx.opts.rate * 5 : ctx.opts.rate);
  await ctx.gen.run({
    seconds: before + spike + after,
    streams: [{ rateAt, phaseAt, pickPartner: () => ctx.pickPartner() }],
    onSecond: (t) => ctx.tick(t, phaseAt(t), rateAt(t)),
  });
  const failed = ctx.gen.samples.filter((s) => !isOk(s));
  const badShed = failed.filter((s) => !((s.status === 429 || s.status === 503) && s.retryAfter));
  const shed = failed.length - badShed.length;
  return {
    measured: ["before", "spike", "after"],
    checks: [
      {
        name: "every refused request is a 429/503 with Retry-After",
        pass: badShed.length === 0,
        detail: `${shed} shed properly, ${badShed.length} other failures${badShed[0] ? ` (e.g. ${badShed[0].status} ${badShed[0].code})` : ""}`,
      },
      await verifyNothingLost(ctx.platform, ctx.workload),
    ],
    notes: [
      `${before} s at ${ctx.opts.rate}/s, ${spike} s at ${ctx.opts.rate * 5}/s, ${after} s back at ${ctx.opts.rate}/s`,
    ],
    extra: { shed },
  };
}
