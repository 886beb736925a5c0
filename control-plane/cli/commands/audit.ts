// `audit`: the audit log, newest first; `audit verify` re-checks its hash chain from an export
// and names every row that was changed, removed or inserted; `audit export` prints CSV or JSON.
import { type ChainedAuditRow, verifyAuditChain } from "../../audit/audit-chain.ts";
import { numberOption, option } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { table, when } from "../output.ts";

interface Entry {
  id: number;
  actor: { token_id: string; name: string; role: string };
  reason: string | null;
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
          who: `${e.actor.name} (${e.actor.role}, ${e.actor.token_id})`,
          change: `${JSON.stringify(e.before)} → ${JSON.stringify(e.after)}`,
        }));
        ctx.print(table(rows, ["id", "when", "who", "action", "target", "status", "reason", "change"]));
        if (res.has_more) ctx.print(`… more: --starting-after ${res.data.at(-1)?.id}`);
      },
    },
    verify: {
      usage: "audit verify",
      summary: "re-check the whole trail's hash chain; exit 1 naming each tampered row",
      async run(ctx) {
        const rows: ChainedAuditRow[] = [];
        let head = { last_id: 0, last_hash: "" };
        for (let afterId = 0, more = true; more; ) {
          const page = await ctx.api.request<{
            data: ChainedAuditRow[];
            has_more: boolean;
            chain_head: typeof head;
          }>("GET", `/admin/v1/audit?format=json&limit=10000&after_id=${afterId}`);
          rows.push(...page.data);
          head = page.chain_head;
          more = page.has_more;
          afterId = page.data.at(-1)?.id ?? afterId;
        }
        // Rows appended while paging (this command's own reads among them) end after the head
        // read with the last page: check the chain up to the head only.
        const upToHead = rows.filter((r) => r.id <= head.last_id);
        const result = verifyAuditChain(upToHead, head);
        if (ctx.json) return ctx.print(JSON.stringify(result, null, 2));
        for (const p of result.problems) ctx.print(`row ${p.id}: ${p.problem}`);
        if (result.problems.length > 0) {
          throw new Error(
            `audit trail tampered: ${result.problems.length} problem(s) in ${result.checked} rows`,
          );
        }
        ctx.print(`audit trail intact: ${result.checked} chained rows, head row ${head.last_id}`);
      },
    },
    export: {
      usage: "audit export [--from <ISO time>] [--to <ISO time>] [--format csv|json]",
      summary: "the trail in chain order (first 10,000 rows of the range; page with after_id)",
      async run(ctx) {
        const params = new URLSearchParams({ format: option(ctx.args, "format") ?? "csv", limit: "10000" });
        for (const k of ["from", "to"]) {
          const v = option(ctx.args, k);
          if (v) params.set(k, v);
        }
        if (params.get("format") === "json") {
          return ctx.print(
            JSON.stringify(await ctx.api.request("GET", `/admin/v1/audit?${params}`), null, 2),
          );
        }
        ctx.print(await ctx.api.text(`/admin/v1/audit?${params}`));
      },
    },
  },
};
