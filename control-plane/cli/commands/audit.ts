// `audit`: the audit log, newest first.
import { numberOption, option } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { table, when } from "../output.ts";

interface Entry {
  id: number;
  actor: { token_id: string; name: string };
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  created: number;
}

export const command: CliCommand = {
  name: "audit",
  summary: "the audit log: who did what to which target, before and after",
  subcommands: {
    "": {
      usage: "audit [--limit N] [--starting-after <entry id>]",
      summary: "the newest admin actions",
      async run(ctx) {
        const params = new URLSearchParams({ limit: String(numberOption(ctx.args, "limit") ?? 20) });
        const after = option(ctx.args, "starting-after");
        if (after) params.set("starting_after", after);
        const res = await ctx.api.request<{ data: Entry[]; has_more: boolean }>(
          "GET",
          `/admin/v1/audit-log?${params}`,
        );
        if (ctx.json) return ctx.print(JSON.stringify(res, null, 2));
        const rows = res.data.map((e) => ({
          ...e,
          when: when(e.created),
          who: `${e.actor.name} (${e.actor.token_id})`,
          change: `${JSON.stringify(e.before)} → ${JSON.stringify(e.after)}`,
        }));
        ctx.print(table(rows, ["id", "when", "who", "action", "target", "change"]));
        if (res.has_more) ctx.print(`… more: --starting-after ${res.data.at(-1)?.id}`);
      },
    },
  },
};
