// knee: a stepped ramp of the arrival rate until a step's p99 passes 100 ms, a request fails, or
// the achieved rate falls 5% short; the knee is the last step that passed.
import type { BenchContext, ScenarioResult } from "../lib/context.ts";
import { groupBy, isOk, type Sample, summarize } from "../lib/stats.ts";

export interface KneeStep {
  phase: string;
  target: number;
  achieved: number;
  byCell: Record<string, number>;
  p99: number;
  errors: number;
  pass: boolean;
}

export async function runKnee(ctx: BenchContext): Promise<ScenarioResult> {
  const stepSeconds = ctx.opts.duration ?? 12;
  const first = Math.max(50, Math.round(ctx.opts.rate / 2));
  const rates = Array.from({ length: 30 }, (_, i) => Math.round(first * 1.25 ** i));
  const warmup = 10; // JIT, pools and caches of freshly started processes, at the first step's rate
  const stepOf = (t: number) => Math.min(rates.length - 1, Math.floor(Math.max(0, t - warmup) / stepSeconds));
  const phaseAt = (t: number) => (t < warmup ? "warmup" : `step-${stepOf(t)}`);
  // The warm-up ramps up to the first step (cold processes would start the ramp behind a queue).
  const rateAt = (t: number) => (t < warmup ? rates[0]! * (0.2 + (0.8 * t) / warmup) : rates[stepOf(t)]!);
  const steps: KneeStep[] = [];
  let failedSteps = 0;
  const judge = (i: number) => {
    const samples = ctx.gen.samples.filter((s) => s.phase === `step-${i}`);
    // The first second of a step still carries the previous step's queue; judge the rest.
    const settled = samples.filter((s) => s.t >= (warmup + i * stepSeconds + 1) * 1000);
    const sum = summarize(settled);
    const secs = stepSeconds - 1;
    const byCell = Object.fromEntries(
      Object.entries(groupBy(settled, (s: Sample) => s.cell)).map(([c, v]) => [
        c,
        Math.round(v.filter(isOk).length / secs),
      ]),
    );
    const achieved = Math.round(sum.ok / secs);
    const errors = sum.count - sum.ok;
    const pass = sum.p99 <= 100 && errors === 0 && achieved >= rates[i]! * 0.95;
    steps.push({ phase: `step-${i}`, target: rates[i]!, achieved, byCell, p99: sum.p99, errors, pass });
    console.log(
      `\n  step ${i}: target ${rates[i]}/s achieved ${achieved}/s p99 ${sum.p99} ms errors ${errors} → ${pass ? "ok" : "past the knee"}`,
    );
    failedSteps = pass ? 0 : failedSteps + 1;
  };
  let judged = 0;
  await ctx.gen.run({
    seconds: warmup + rates.length * stepSeconds,
    streams: [{ rateAt, phaseAt, pickPartner: () => ctx.pickPartner() }],
    onSecond: async (t) => {
      await ctx.tick(t, phaseAt(t), rateAt(t));
      // Judge a step once its answers have had 2 s to arrive.
      while (judged < stepOf(t) && t >= warmup + (judged + 1) * stepSeconds + 2) judge(judged++);
    },
    // Stop after three failing steps in a row: one or two may be noise on a shared machine.
    shouldStop: () => failedSteps >= 3,
  });
  const passed = steps.filter((s) => s.pass);
  const knee = passed.reduce<KneeStep | undefined>(
    (best, s) => (!best || s.achieved > best.achieved ? s : best),
    undefined,
  );
  const kneeSamples = knee ? ctx.gen.samples.filter((s) => s.phase === knee.phase) : [];
  return {
    measured: knee ? [knee.phase] : [],
    checks: [
      {
        name: "a sustainable step was found",
        pass: knee !== undefined,
        detail: knee ? `${knee.achieved}/s` : "none",
      },
    ],
    notes: [
      `steps of ${stepSeconds} s, +25% each; the knee is the best step with p99 ≤ 100 ms, no error, ≥ 95% of target; the ramp ends after 3 failing steps in a row`,
    ],
    extra: { steps, knee: knee ?? null, kneeSummary: knee ? summarize(kneeSamples) : null },
  };
}
