// `partners list|get|create|suspend|resume|keys|rotate-key|set-limits|set-version`
import { numberOption, option, positional, UsageError } from "../args.ts";
import type { CliCommand, CliContext } from "../command.ts";
import { block, table, when } from "../output.ts";

type Partner = Record<string, unknown> & { id: string };
const columns = ["id", "name", "status", "cell_id", "created"];
const row = (p: Partner) => ({ ...p, created: when(p.created) });

async function show(ctx: CliContext, partner: Partner, extra: Record<string, unknown> = {}) {
  if (ctx.json) return ctx.print(JSON.stringify(partner, null, 2));
  ctx.print(block({ ...row(partner), settings: partner.settings, ...extra }));
}

export const command: CliCommand = {
  name: "partners",
  summary: "onboard, inspect, suspend and resume partners; keys and limits",
  subcommands: {
    list: {
      usage:
        "partners list [--cell <id>] [--status active|suspended] [--limit N] [--starting-after <id>] [--all]",
      summary: "list partners, newest first (--all follows every page)",
      async run(ctx) {
        const params = new URLSearchParams();
        const cell = option(ctx.args, "cell");
        const status = option(ctx.args, "status");
        if (cell) params.set("cell_id", cell);
        if (status) params.set("status", status);
        params.set(
          "limit",
          String(numberOption(ctx.args, "limit") ?? (ctx.args.flags.has("all") ? 100 : 20)),
        );
        let after = option(ctx.args, "starting-after");
        const all: Partner[] = [];
        for (;;) {
          if (after) params.set("starting_after", after);
          const page = await ctx.api.request<{ data: Partner[]; has_more: boolean }>(
            "GET",
            `/admin/v1/partners?${params}`,
          );
          all.push(...page.data);
          if (!page.has_more || !ctx.args.flags.has("all")) {
            if (ctx.json) return ctx.print(JSON.stringify({ data: all, has_more: page.has_more }, null, 2));
            ctx.print(table(all.map(row), columns));
            if (page.has_more) ctx.print(`… more: --starting-after ${all.at(-1)?.id} (or --all)`);
            return;
          }
          after = page.data.at(-1)?.id;
        }
      },
    },
    get: {
      usage: "partners get <partner_id>",
      summary: "a partner with its cell and traffic",
      async run(ctx) {
        const p = await ctx.api.request<Partner & { cell: Record<string, unknown> }>(
          "GET",
          `/admin/v1/partners/${positional(ctx.args, 0, "partner_id")}`,
        );
        await show(ctx, p, {
          cell_state: p.cell?.state,
          traffic: p.traffic ?? "unavailable (cell unreachable)",
        });
      },
    },
    create: {
      usage: "partners create <name> [--cell <id>]",
      summary: "onboard a partner (placement chooses the cell unless --cell); prints its first key once",
      async run(ctx) {
        const cell = option(ctx.args, "cell");
        const p = await ctx.api.request<Partner>("POST", "/admin/v1/partners", {
          name: positional(ctx.args, 0, "name"),
          ...(cell ? { cell_id: cell } : {}),
        });
        await show(ctx, p, { api_key: `${p.api_key}   (shown once: store it now)` });
      },
    },
    suspend: {
      usage: 'partners suspend <partner_id> --reason "…"',
      summary: "suspend: its cell and the routers answer 403",
      async run(ctx) {
        await show(
          ctx,
          await ctx.api.request(
            "POST",
            `/admin/v1/partners/${positional(ctx.args, 0, "partner_id")}/suspend`,
          ),
        );
      },
    },
    resume: {
      usage: "partners resume <partner_id>",
      summary: "resume a suspended partner",
      async run(ctx) {
        await show(
          ctx,
          await ctx.api.request("POST", `/admin/v1/partners/${positional(ctx.args, 0, "partner_id")}/resume`),
        );
      },
    },
    keys: {
      usage: "partners keys <partner_id>",
      summary: "list a partner's keys (hints only)",
      async run(ctx) {
        const keys = await ctx.api.request<{ data: Record<string, unknown>[] }>(
          "GET",
          `/admin/v1/partners/${positional(ctx.args, 0, "partner_id")}/keys`,
        );
        if (ctx.json) return ctx.print(JSON.stringify(keys, null, 2));
        ctx.print(
          table(
            keys.data.map((k) => ({ ...k, created: when(k.created) })),
            ["key_id", "mode", "hint", "created", "revoked"],
          ),
        );
      },
    },
    "rotate-key": {
      usage: 'partners rotate-key <partner_id> [--revoke <key_id>] [--mode test|live] [--reason "…" (live)]',
      summary: "issue a new key (printed once), optionally revoking an old one",
      async run(ctx) {
        const revoke = option(ctx.args, "revoke");
        const res = await ctx.api.request(
          "POST",
          `/admin/v1/partners/${positional(ctx.args, 0, "partner_id")}/keys`,
          {
            mode: option(ctx.args, "mode") ?? "test",
            ...(revoke ? { revoke_key_id: revoke } : {}),
          },
        );
        ctx.print(
          ctx.json
            ? JSON.stringify(res, null, 2)
            : block({ ...res, note: "the key is shown once: store it now" }),
        );
      },
    },
    "enable-live": {
      usage: 'partners enable-live <partner_id> [--connector <name>] --reason "…"',
      summary: "take a partner live (audited): its live connector and its first live key, printed once",
      async run(ctx) {
        const connector = option(ctx.args, "connector");
        const res = await ctx.api.request(
          "POST",
          `/admin/v1/partners/${positional(ctx.args, 0, "partner_id")}/enable-live`,
          connector ? { connector } : {},
        );
        ctx.print(
          ctx.json
            ? JSON.stringify(res, null, 2)
            : block({ ...res, note: "the live key is shown once: store it now" }),
        );
      },
    },
    "set-version": {
      usage: 'partners set-version <partner_id> <api_version> [--reason "…"]',
      summary: "pin the partner to a dated API version (GET /v1/versions lists them)",
      async run(ctx) {
        const id = positional(ctx.args, 0, "partner_id");
        const version = positional(ctx.args, 1, "api_version");
        await show(
          ctx,
          await ctx.api.request("PUT", `/admin/v1/partners/${id}/api-version`, { api_version: version }),
        );
      },
    },
    "set-limits": {
      usage: "partners set-limits <partner_id> [--rate R --burst B] [--max-concurrency N]",
      summary: "set the partner's rate limit (requests/s, burst) and concurrency",
      async run(ctx) {
        const rate = numberOption(ctx.args, "rate");
        const burst = numberOption(ctx.args, "burst");
        const maxConcurrency = numberOption(ctx.args, "max-concurrency");
        if ((rate === undefined) !== (burst === undefined))
          throw new UsageError("--rate and --burst go together");
        if (rate === undefined && maxConcurrency === undefined)
          throw new UsageError("give --rate/--burst or --max-concurrency");
        const body = {
          ...(rate !== undefined && burst !== undefined ? { rate_limit: { rate, burst } } : {}),
          ...(maxConcurrency !== undefined ? { max_concurrency: maxConcurrency } : {}),
        };
        await show(
          ctx,
          await ctx.api.request(
            "PUT",
            `/admin/v1/partners/${positional(ctx.args, 0, "partner_id")}/limits`,
            body,
          ),
        );
      },
    },
  },
};
