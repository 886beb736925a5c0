// `cells restore <cell> --to <time|latest> --as <new-cell> [--flip]`: runs the platform host's
// restore HERE (it needs the backup repository on disk and starts the new cell's processes), then
// registers the new cell and, with --flip, fails the dead cell's partners over to it through the
// admin API. The new cell's processes run in the foreground until Ctrl-C / SIGTERM, which stops
// every one of them: add the cell to cells.yaml to run it under `npm start` for good.
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureLocalSecrets } from "../../platform/local-secrets.ts";
import { RestoreRefused, restoreCell } from "../../platform/restore-cell.ts";
import { numberOption, option, positional, UsageError } from "./args.ts";
import type { CliContext } from "./command.ts";
import { block } from "./output.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const dataRoot = join(repoRoot, ".data");

function parseTarget(value: string | undefined): "latest" | Date {
  if (value === undefined) throw new UsageError("missing --to <ISO time|latest>");
  if (value === "latest") return "latest";
  // Only a full ISO 8601 time with its zone: a bare date or local time would restore to a guess.
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ||
    Number.isNaN(Date.parse(value))
  )
    throw new UsageError(
      `--to: not a time: ${value} (ISO 8601 with a zone, e.g. 2026-12-02T14:00:00Z, or latest)`,
    );
  return new Date(value);
}

async function partnersOf(ctx: CliContext, cellId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | undefined; ; ) {
    const q = `cell_id=${encodeURIComponent(cellId)}&limit=100${after ? `&starting_after=${after}` : ""}`;
    const page = await ctx.api.request<{ data: { id: string }[]; has_more: boolean }>(
      "GET",
      `/admin/v1/partners?${q}`,
    );
    ids.push(...page.data.map((p) => p.id));
    if (!page.has_more || page.data.length === 0) return ids;
    after = page.data.at(-1)!.id;
  }
}

export async function runCellRestore(ctx: CliContext): Promise<void> {
  const source = positional(ctx.args, 0, "cell");
  const to = parseTarget(option(ctx.args, "to"));
  const as = option(ctx.args, "as");
  if (as === undefined) throw new UsageError("missing --as <new-cell>");
  const flip = ctx.args.flags.has("flip");
  const gateways = numberOption(ctx.args, "gateways") ?? 1;
  const processors = numberOption(ctx.args, "processors") ?? 1;
  if (!Number.isInteger(gateways) || gateways < 1 || !Number.isInteger(processors) || processors < 1)
    throw new UsageError("--gateways and --processors must be whole numbers ≥ 1");
  // Fail before anything starts: the source must be known, and down when its partners will flip.
  const cell = await ctx.api.request<{ state: string }>(
    "GET",
    `/admin/v1/cells/${encodeURIComponent(source)}`,
  );
  if (flip && cell.state !== "down")
    throw new UsageError(
      `cell ${source} is ${cell.state}: set it down first (cells state ${source} down --reason "…")`,
    );
  const partnerIds = await partnersOf(ctx, source);
  const secrets = await ensureLocalSecrets(dataRoot);
  const backupRoot = resolve(
    repoRoot,
    process.env.CELLPAY_BACKUP_DIR ?? option(ctx.args, "backup-dir") ?? ".data/backups",
  );
  ctx.print(
    `restoring ${source} (${to === "latest" ? "latest" : to.toISOString()}) as ${as} from ${backupRoot}…`,
  );
  let restored: Awaited<ReturnType<typeof restoreCell>>;
  try {
    restored = await restoreCell({
      sourceCellId: source,
      newCellId: as,
      to,
      backupRoot,
      dataDir: join(dataRoot, "cells", as),
      keyring: process.env.CELLPAY_MASTER_KEYS_FILE
        ? { masterKeysFile: process.env.CELLPAY_MASTER_KEYS_FILE }
        : { masterKeyFile: secrets.masterKeyFile },
      credentials: secrets,
      gateways,
      processors,
      partnerIds,
      drill: !flip,
      env: { LIVE_CONNECTORS: "sandbox", WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" },
      log: (m) => ctx.print(`  ${m}`),
    });
  } catch (err) {
    if (err instanceof RestoreRefused) throw new UsageError(err.message);
    throw err;
  }
  const stopping = new Promise<string>((r) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => r(s));
  });
  try {
    const f = restored.figures;
    ctx.print(
      block({
        cell: as,
        restored_in_s: restored.durationS,
        figures_as_of: f.as_of ?? "none recorded before the target",
        partners_checked: f.partners_checked,
        figures_match: f.match,
      }),
    );
    for (const m of f.mismatches)
      ctx.print(
        `  ${m.partner_id}: expected ${m.expected.count} payments / ${m.expected.sum}, restored ${m.restored.count} / ${m.restored.sum}`,
      );
    if (!f.match && !ctx.args.flags.has("accept-mismatch"))
      throw new Error(
        `figures do not match: ${as} is not registered (--accept-mismatch to register it anyway)`,
      );
    await ctx.api.request("POST", "/admin/v1/cells", {
      id: as,
      weight: 1,
      gateways: restored.gateways,
      internal_gateways: restored.internalGateways,
    });
    ctx.print(`registered ${as}: ${restored.gateways.join(" ")}`);
    if (flip) {
      const res = await ctx.api.request<Record<string, unknown>>(
        "POST",
        `/admin/v1/cells/${encodeURIComponent(source)}/failover`,
        { to: as },
      );
      ctx.print(ctx.json ? JSON.stringify(res, null, 2) : block(res));
    }
    ctx.print(
      `${as} runs in the foreground; Ctrl-C stops every process of it (data kept in .data/cells/${as})`,
    );
    ctx.print(`stopping on ${await stopping}…`);
  } finally {
    await restored.stop();
  }
}
