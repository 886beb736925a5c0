// move: a busy partner is moved to another cell while traffic flows; its longest stall (the
// slowest of its requests around the move, and the control plane's own stall_ms) and nothing lost.
import type { BenchContext, ScenarioResult } from "../lib/context.ts";
import { isOk, summarize } from "../lib/stats.ts";
import { verifyNothingLost } from "../lib/verify.ts";

interface Move {
  id: string;
  status: string;
  stall_ms: number | null;
  error: string | null;
  target_cell_id: string;
}

export async function runMove(ctx: BenchContext): Promise<ScenarioResult> {
  const cells = [...new Set(ctx.partners.map((p) => p.cell))].sort();
  const mover = ctx.partners[1] ?? ctx.partners[0]!;
  const target = cells.find((c) => c !== mover.cell) ?? (mover.cell === "cell-a" ? "cell-b" : "cell-a");
  const before = 10;
  const seconds = before + (ctx.opts.duration ?? 40);
  let move: Move | undefined;
  let startedAt = 0;
  let doneAt = 0;
  const phaseAt = (t: number) => (t < before ? "before" : "moving");
  await ctx.gen.run({
    seconds,
    streams: [{ rateAt: () => ctx.opts.rate, phaseAt, pickPartner: () => ctx.pickPartner() }],
    onSecond: async (t) => {
      await ctx.tick(t, phaseAt(t), ctx.opts.rate);
      if (!move && t >= before) {
        startedAt = ctx.gen.now();
        move = await ctx.admin.call<Move>("POST", `/admin/v1/partners/${mover.id}/move`, {
          target_cell_id: target,
          reason: "bench: move under load",
        });
        console.log(`\n  moving partner #${mover.index} ${mover.cell} → ${target} (${move.id})`);
      } else if (move && !doneAt) {
        move = await ctx.admin.call<Move>("GET", `/admin/v1/moves/${move.id}`);
        if (["completed", "failed", "rolled_back"].includes(move.status)) {
          doneAt = ctx.gen.now();
          if (move.status === "completed") mover.cell = move.target_cell_id;
          console.log(`\n  move ${move.status} after ${((doneAt - startedAt) / 1000).toFixed(1)} s`);
        }
      }
    },
  });
  const mine = ctx.gen.samples.filter((s) => s.partner === mover.index && s.t >= startedAt);
  const longest = mine.reduce((m, s) => Math.max(m, s.latency), 0);
  const failed = mine.filter((s) => !isOk(s));
  return {
    measured: ["before", "moving"],
    checks: [
      {
        name: "the move finished",
        pass: move?.status === "completed",
        detail: `status ${move?.status} ${move?.error ?? ""}`,
      },
      {
        name: "no request of the moved partner failed",
        pass: failed.length === 0,
        detail: `${failed.length} failed of ${mine.length}`,
      },
      await verifyNothingLost(ctx.platform, ctx.workload, mover.index),
    ],
    notes: [
      `partner #${mover.index} moved to ${target}; longest stall seen by a request ${longest.toFixed(0)} ms`,
    ],
    extra: {
      move,
      moveSeconds: doneAt ? (doneAt - startedAt) / 1000 : null,
      longestStallMs: Math.round(longest),
      controlPlaneStallMs: move?.stall_ms ?? null,
      moverDuringMove: summarize(mine),
    },
  };
}
