// `tokens create|list|revoke`: named admin tokens with one role and an expiry (admin role only).
import { numberOption, option, positional, UsageError } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { table, when } from "../output.ts";

interface AdminToken {
  id: string;
  name: string;
  role: string;
  created: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  token?: string;
}

export const command: CliCommand = {
  name: "tokens",
  summary: "admin tokens: create one per person or system with a role, list, revoke",
  subcommands: {
    create: {
      usage:
        "tokens create <name> --role viewer|operator|partner_manager|auditor|admin [--days N (default 30)]",
      summary: "a new token, printed once (only its hash is kept)",
      async run(ctx) {
        const role = option(ctx.args, "role");
        if (!role) throw new UsageError("--role is required");
        const days = numberOption(ctx.args, "days") ?? 30;
        const res = await ctx.api.request<AdminToken>("POST", "/admin/v1/admin-tokens", {
          name: positional(ctx.args, 0, "name"),
          role,
          expires_at: new Date(Date.now() + days * 86_400_000).toISOString(),
        });
        if (ctx.json) return ctx.print(JSON.stringify(res, null, 2));
        ctx.print(`${res.id} (${res.role}, expires ${when(res.expires_at ?? 0)})\n${res.token}`);
        ctx.print("Shown once: store it in a file (chmod 600) and use --token-file, or CELLPAY_ADMIN_TOKEN.");
      },
    },
    list: {
      usage: "tokens list",
      summary: "every token: role, expiry, last use, revocation (never the token)",
      async run(ctx) {
        const res = await ctx.api.request<{ data: AdminToken[] }>("GET", "/admin/v1/admin-tokens");
        if (ctx.json) return ctx.print(JSON.stringify(res, null, 2));
        const rows = res.data.map((t) => ({
          ...t,
          expires: t.expires_at ? when(t.expires_at) : "never",
          used: t.last_used_at ? when(t.last_used_at) : "-",
          revoked: t.revoked_at ? when(t.revoked_at) : "",
        }));
        ctx.print(table(rows, ["id", "name", "role", "expires", "used", "revoked"]));
      },
    },
    revoke: {
      usage: "tokens revoke <token id>",
      summary: "revoke a token at once (its dashboard sessions end with it)",
      async run(ctx) {
        const res = await ctx.api.request<AdminToken>(
          "DELETE",
          `/admin/v1/admin-tokens/${positional(ctx.args, 0, "token id")}`,
        );
        ctx.print(ctx.json ? JSON.stringify(res, null, 2) : `${res.id} revoked`);
      },
    },
  },
};
