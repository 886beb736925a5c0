// `move` and `drain`: long operations, followed with a progress line until they end.
import { positional } from "../args.ts";
import type { CliCommand, CliContext } from "../command.ts";
import { block } from "../output.ts";

interface Move {
  id: string;
  status: string;
  partner_id: string;
  source_cell_id: string;
  target_cell_id: string;
  progress: { tables_done?: number; tables_total?: number; rows_copied?: number };
  stall_ms: number | null;
  error: string | null;
}
interface Drain {
  id: string;
  status: string;
  cell_id: string;
  progress: { total: number; moved: number; failed: number; moving: string[]; failures: unknown[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const finished = (status: string) =>
  !["pending", "copying", "catching_up", "frozen", "verifying", "running"].includes(status);

async function follow<T extends { status: string }>(
  ctx: CliContext,
  path: string,
  line: (x: T) => string,
): Promise<T> {
  for (;;) {
    const x = await ctx.api.request<T>("GET", path);
    if (!ctx.json) process.stdout.write(`\r${line(x)}`.padEnd(100));
    if (finished(x.status)) {
      if (!ctx.json) process.stdout.write("\n");
      return x;
    }
    await sleep(300);
  }
}

const moveLine = (m: Move) =>
  `move ${m.id}: ${m.status}  tables ${m.progress.tables_done ?? 0}/${m.progress.tables_total ?? "?"}  rows ${m.progress.rows_copied ?? 0}${m.stall_ms !== null ? `  stall ${m.stall_ms} ms` : ""}`;

export const command: CliCommand = {
  name: "moves",
  summary: "move a partner between cells, drain a cell, follow their progress",
  subcommands: {
    start: {
      usage: 'moves start <partner id> <target cell id> --reason "…"',
      summary: "move a partner online, showing progress until it ends",
      async run(ctx) {
        const started = await ctx.api.request<Move>(
          "POST",
          `/admin/v1/partners/${positional(ctx.args, 0, "partner id")}/move`,
          {
            target_cell_id: positional(ctx.args, 1, "target cell id"),
          },
        );
        const done = await follow<Move>(ctx, `/admin/v1/moves/${started.id}`, moveLine);
        ctx.print(
          ctx.json
            ? JSON.stringify(done, null, 2)
            : block({ ...done, progress: JSON.stringify(done.progress) }),
        );
      },
    },
    get: {
      usage: "moves get <move id>",
      summary: "a move's status and progress",
      async run(ctx) {
        const m = await ctx.api.request<Move>("GET", `/admin/v1/moves/${positional(ctx.args, 0, "move id")}`);
        ctx.print(
          ctx.json ? JSON.stringify(m, null, 2) : block({ ...m, progress: JSON.stringify(m.progress) }),
        );
      },
    },
    drain: {
      usage: 'moves drain <cell id> --reason "…"',
      summary: "mark a cell draining and move every partner out, showing progress",
      async run(ctx) {
        const started = await ctx.api.request<Drain>(
          "POST",
          `/admin/v1/cells/${positional(ctx.args, 0, "cell id")}/drain`,
        );
        const done = await follow<Drain>(
          ctx,
          `/admin/v1/drains/${started.id}`,
          (d) =>
            `drain ${d.id} of ${d.cell_id}: ${d.status}  moved ${d.progress.moved}/${d.progress.total}  failed ${d.progress.failed}  moving ${d.progress.moving.join(",")}`,
        );
        ctx.print(
          ctx.json
            ? JSON.stringify(done, null, 2)
            : block({ ...done, progress: JSON.stringify(done.progress) }),
        );
      },
    },
  },
};
