// `keys status|rotate-master|rotate-data|destroy-retired`: the cells' data keys and their rotations
// (control-plane/keys/cell-keys.ts → each cell's /internal/v1/keys).
import { option, UsageError } from "../args.ts";
import type { CliCommand, CliContext } from "../command.ts";
import { block, table } from "../output.ts";

interface Rotation {
  id: string;
  status: string;
  to_key_id: string;
  passes: number;
  reencrypted: number;
  total: number;
}
interface KeyStatus {
  cell_id: string;
  active_master_key_id: string;
  loaded_master_key_ids: string[];
  data_keys: Record<string, unknown>[];
  rotation: Rotation | null;
}

function cellOption(ctx: CliContext): string {
  const cell = option(ctx.args, "cell");
  if (!cell) throw new UsageError("--cell <cell id> is required");
  return cell;
}

const progress = (r: Rotation) =>
  `${r.id} ${r.status}: ${r.reencrypted}/${r.total} re-encrypted onto ${r.to_key_id} (pass ${r.passes + (r.status === "done" ? 0 : 1)})`;

const status = (ctx: CliContext, cell: string) =>
  ctx.api.request<KeyStatus>("GET", `/admin/v1/cells/${encodeURIComponent(cell)}/keys`);

export const command: CliCommand = {
  name: "keys",
  summary: "data keys and master keys: status, rotate the master, rotate a cell's data key",
  subcommands: {
    status: {
      usage: "keys status --cell <id>",
      summary: "a cell's data keys (state, master, encryptions, rotation due) and its latest rotation",
      async run(ctx) {
        const s = await status(ctx, cellOption(ctx));
        if (ctx.json) return ctx.print(JSON.stringify(s, null, 2));
        ctx.print(
          block({
            cell: s.cell_id,
            active_master: s.active_master_key_id,
            loaded_masters: s.loaded_master_key_ids.join(" "),
            rotation: s.rotation ? progress(s.rotation) : "none",
          }),
        );
        ctx.print(
          table(s.data_keys, [
            "id",
            "state",
            "master_key_id",
            "sealed_for_cell",
            "encryptions",
            "created_at",
            "rotation_due",
          ]),
        );
      },
    },
    "rotate-master": {
      usage: "keys rotate-master [--cell <id>]",
      summary: "re-seal every data key under the keyring's active master (every cell, or one)",
      async run(ctx) {
        const cell = option(ctx.args, "cell");
        const res = await ctx.api.request<{ data: Record<string, unknown>[] }>(
          "POST",
          "/admin/v1/keys/rotate-master",
          cell ? { cell_id: cell } : {},
        );
        if (ctx.json) return ctx.print(JSON.stringify(res, null, 2));
        ctx.print(table(res.data, ["cell_id", "master_key_id", "resealed", "total"]));
      },
    },
    "destroy-retired": {
      usage: 'keys destroy-retired --cell <id> --reason "…"',
      summary: "delete the cell's retired data keys that no ciphertext references (re-checked by the cell)",
      async run(ctx) {
        const cell = cellOption(ctx);
        const res = await ctx.api.request<{ destroyed: string[]; still_referenced: string[] }>(
          "POST",
          `/admin/v1/cells/${encodeURIComponent(cell)}/keys/destroy-retired`,
        );
        if (ctx.json) return ctx.print(JSON.stringify(res, null, 2));
        ctx.print(
          block({
            destroyed: res.destroyed.join(" ") || "none",
            still_referenced: res.still_referenced.join(" ") || "none",
          }),
        );
      },
    },
    "rotate-data": {
      usage: "keys rotate-data --cell <id> [--wait]",
      summary:
        "new data key now; old ciphertexts re-encrypted in the background (--wait: show progress until done)",
      async run(ctx) {
        const cell = cellOption(ctx);
        let r = await ctx.api.request<Rotation>(
          "POST",
          `/admin/v1/cells/${encodeURIComponent(cell)}/keys/rotate-data`,
        );
        ctx.print(ctx.json ? JSON.stringify(r) : progress(r));
        if (!ctx.args.flags.has("wait")) return;
        while (r.status !== "done") {
          await new Promise((res) => setTimeout(res, 1000));
          const s = await status(ctx, cell);
          if (!s.rotation || s.rotation.id !== r.id) break;
          r = s.rotation;
          ctx.print(ctx.json ? JSON.stringify(r) : progress(r));
        }
      },
    },
  },
};
