// `cells list|get|state|redrive|register|restore`
import { numberOption, option, positional, UsageError } from "../args.ts";
import { runCellRestore } from "../cell-restore.ts";
import type { CliCommand, CliContext } from "../command.ts";
import { block, table } from "../output.ts";

type Cell = Record<string, unknown> & {
  health: { status: string; ready_gateways: string[] };
  gateways: string[];
  internal_gateways?: string[];
};
const flat = (c: Cell) => ({
  ...c,
  health: c.health.status,
  ready: `${c.health.ready_gateways.length}/${c.gateways.length}`,
  gateways: c.gateways.join(" "),
  internal_gateways: (c.internal_gateways ?? []).join(" "),
});

const show = (ctx: CliContext, cell: Cell) =>
  ctx.print(
    ctx.json
      ? JSON.stringify(cell, null, 2)
      : block({ ...flat(cell), checked_at: (cell.health as { checked_at?: string }).checked_at }),
  );

export const command: CliCommand = {
  name: "cells",
  summary: "list cells, their health and load; set a cell's state; register a cell",
  subcommands: {
    list: {
      usage: "cells list",
      summary: "every cell: state, weight, health, partner count",
      async run(ctx) {
        const res = await ctx.api.request<{ data: Cell[] }>("GET", "/admin/v1/cells");
        if (ctx.json) return ctx.print(JSON.stringify(res, null, 2));
        ctx.print(
          table(res.data.map(flat), [
            "id",
            "state",
            "weight",
            "health",
            "ready",
            "partner_count",
            "gateways",
            "internal_gateways",
          ]),
        );
      },
    },
    get: {
      usage: "cells get <cell_id>",
      summary: "one cell",
      async run(ctx) {
        show(
          ctx,
          await ctx.api.request<Cell>("GET", `/admin/v1/cells/${positional(ctx.args, 0, "cell_id")}`),
        );
      },
    },
    state: {
      usage: 'cells state <cell_id> <active|draining|closed|down> --reason "…"',
      summary: "set a cell's state (down: routers answer its partners 503 at once)",
      async run(ctx) {
        const id = positional(ctx.args, 0, "cell_id");
        const state = positional(ctx.args, 1, "state");
        show(ctx, await ctx.api.request<Cell>("PUT", `/admin/v1/cells/${id}/state`, { state }));
      },
    },
    redrive: {
      usage:
        'cells redrive <cell_id> [--since <ISO time>] [--unprocessed-by ledger|settlement|webhooks] --reason "…"',
      summary: "publish the cell's events again from its outbox (after JetStream lost them)",
      async run(ctx) {
        const id = positional(ctx.args, 0, "cell_id");
        const since = option(ctx.args, "since");
        const unprocessedBy = option(ctx.args, "unprocessed-by");
        if (since !== undefined && Number.isNaN(Date.parse(since))) {
          throw new UsageError(`--since: not a time: ${since} (ISO 8601, e.g. 2026-01-31T14:00:00Z)`);
        }
        const body = {
          ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
          ...(unprocessedBy === undefined ? {} : { unprocessed_by: unprocessedBy }),
        };
        const res = await ctx.api.request<Record<string, unknown>>(
          "POST",
          `/admin/v1/cells/${id}/events/redrive`,
          body,
        );
        ctx.print(ctx.json ? JSON.stringify(res, null, 2) : block(res));
      },
    },
    register: {
      usage:
        "cells register <cell_id> --gateway <url> --internal-gateway <url> [--gateway <url> --internal-gateway <url> …] [--weight N]",
      summary: "register a running cell (its gateways and their internal listeners must be ready)",
      async run(ctx) {
        const body = {
          id: positional(ctx.args, 0, "cell_id"),
          weight: numberOption(ctx.args, "weight") ?? 1,
          gateways: ctx.args.options.get("gateway") ?? [option(ctx.args, "gateways") ?? ""],
          internal_gateways: ctx.args.options.get("internal-gateway") ?? [
            option(ctx.args, "internal-gateways") ?? "",
          ],
        };
        show(ctx, await ctx.api.request<Cell>("POST", "/admin/v1/cells", body));
      },
    },
    restore: {
      usage:
        'cells restore <cell_id> --to <ISO time|latest> --as <new_cell_id> [--flip] [--gateways N] [--processors N] [--accept-mismatch] --reason "…"',
      summary:
        "build a new cell from a dead cell's backup at a point in time, check its figures, register it (--flip: its partners move to it); runs until Ctrl-C",
      run: runCellRestore,
    },
  },
};
