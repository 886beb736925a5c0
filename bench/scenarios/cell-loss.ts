// cell-loss: one cell's Postgres is SIGKILLed under load; partners of every other cell must see
// 100% success. (The launcher does not restart it: stop the platform after this scenario.)
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchContext, ScenarioResult } from "../lib/context.ts";
import { repoRoot } from "../lib/platform.ts";
import { isOk, summarizeBy } from "../lib/stats.ts";

export async function runCellLoss(ctx: BenchContext): Promise<ScenarioResult> {
  if (ctx.platform.pgid === undefined)
    throw new Error("cell-loss kills a local Postgres: run without --target");
  const cells = [...new Set(ctx.partners.map((p) => p.cell))].sort();
  const victim = cells[cells.length - 1]!;
  if (cells.length < 2) throw new Error("cell-loss needs partners in at least two cells");
  const before = 15;
  const afterKill = ctx.opts.duration ?? 30;
  const phaseAt = (t: number) => (t < before ? "before" : "after-kill");
  let killed = false;
  await ctx.gen.run({
    seconds: before + afterKill,
    streams: [{ rateAt: () => ctx.opts.rate, phaseAt, pickPartner: () => ctx.pickPartner() }],
    onSecond: async (t) => {
      if (!killed && t >= before) {
        killed = true;
        const pidFile = join(repoRoot, ".data", "cells", victim, "postgres", "postmaster.pid");
        const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
        process.kill(pid, "SIGKILL");
        console.log(`\n  killed ${victim}'s postgres (pid ${pid})`);
      }
      await ctx.tick(t, phaseAt(t), ctx.opts.rate);
    },
  });
  const after = ctx.gen.samples.filter((s) => s.phase === "after-kill");
  const others = after.filter((s) => s.cell !== victim);
  const othersFailed = others.filter((s) => !isOk(s));
  return {
    measured: ["before", "after-kill"],
    checks: [
      {
        name: "partners of other cells see 100% success",
        pass: othersFailed.length === 0,
        detail: `${others.length - othersFailed.length}/${others.length} ok${othersFailed[0] ? ` (e.g. ${othersFailed[0].status} ${othersFailed[0].code})` : ""}`,
      },
    ],
    notes: [`killed ${victim}'s Postgres at t=${before} s`],
    extra: { victim, afterKillByCell: summarizeBy(after, (s) => s.cell) },
  };
}
