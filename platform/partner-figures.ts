// Per-partner figures of a cell (payment count and sum of amounts), taken from the live primary
// after each backup and kept beside the stanza's repository, so they survive the loss of the cell's
// machines. A restore compares the restored database against the newest set taken at or before
// its target: for payments created up to the set's `as_of`, counts and sums must be equal.
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { z } from "zod";

/**
 * `as_of` trails the database clock by this much: a payment's created_at is its transaction's
 * start, so one still committing when the figures are read would be missed by them but present
 * in a restore. No payment transaction runs this long (statement deadlines are far shorter).
 */
export const FIGURES_LAG_MS = 10_000;
/** Sets kept: an hourly incremental makes this about two days of point-in-time targets. */
const KEPT_SETS = 48;

const PartnerFiguresSchema = z.object({ count: z.number().int(), sum: z.string() });
export const FigureSetSchema = z.object({
  /** Payments with created_at up to here are counted. */
  as_of: z.string(),
  partners: z.record(z.string(), PartnerFiguresSchema),
});
export type FigureSet = z.infer<typeof FigureSetSchema>;
const FiguresFileSchema = z.object({ stanza: z.string(), sets: z.array(FigureSetSchema) });

export const figuresFile = (repoPath: string) => join(repoPath, "cellpay-partner-figures.json");

/** Counts and sums per partner of the payments created up to `asOf` (default: now − lag, DB clock). */
export async function takeFigures(url: string, lagMs = FIGURES_LAG_MS, asOf?: Date): Promise<FigureSet> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    // One snapshot: the cutoff and the rows come from the same transaction.
    return await sql.begin("isolation level repeatable read", async (tx) => {
      const [row] = await tx<{ as_of: Date }[]>`
        select coalesce(${asOf ?? null}::timestamptz, now() - ${lagMs} * interval '1 millisecond') as as_of`;
      const cutoff = row!.as_of;
      const rows = await tx<{ partner_id: string; n: string; s: string }[]>`
        select partner_id, count(*) as n, sum(amount)::text as s from payments
        where created_at <= ${cutoff} group by partner_id`;
      return {
        as_of: cutoff.toISOString(),
        partners: Object.fromEntries(rows.map((r) => [r.partner_id, { count: Number(r.n), sum: r.s }])),
      };
    });
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function readFigureSets(repoPath: string): Promise<FigureSet[]> {
  try {
    return FiguresFileSchema.parse(JSON.parse(await readFile(figuresFile(repoPath), "utf8"))).sets;
  } catch {
    return [];
  }
}

/** Appends a set (oldest dropped past KEPT_SETS); through a temp file, like the status file. */
export async function recordFigures(stanza: string, repoPath: string, set: FigureSet): Promise<void> {
  const sets = [...(await readFigureSets(repoPath)), set].slice(-KEPT_SETS);
  const tmp = `${figuresFile(repoPath)}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ stanza, sets }, null, 2)}\n`);
  await rename(tmp, figuresFile(repoPath));
}

/** The newest set a restore to `target` must contain whole. */
export function figuresFor(sets: FigureSet[], target: "latest" | Date): FigureSet | undefined {
  const eligible = target === "latest" ? sets : sets.filter((s) => Date.parse(s.as_of) <= target.getTime());
  return eligible.reduce<FigureSet | undefined>(
    (newest, s) => (!newest || Date.parse(s.as_of) > Date.parse(newest.as_of) ? s : newest),
    undefined,
  );
}

export interface FiguresCheck {
  /** No recorded set at or before the target: nothing to compare with. */
  checked: boolean;
  as_of: string | null;
  partners_checked: number;
  mismatches: {
    partner_id: string;
    expected: { count: number; sum: string };
    restored: { count: number; sum: string };
  }[];
  match: boolean;
}

/**
 * Compares the restored database with `expected` for these partners (default: every partner of
 * the set). Partners moved out and purged since are not the dead cell's: the caller leaves them out.
 */
export async function compareFigures(
  url: string,
  expected: FigureSet | undefined,
  partnerIds?: string[],
): Promise<FiguresCheck> {
  if (!expected) return { checked: false, as_of: null, partners_checked: 0, mismatches: [], match: false };
  const restored = await takeFigures(url, 0, new Date(expected.as_of));
  const ids = partnerIds ?? Object.keys(expected.partners);
  const zero = { count: 0, sum: "0" };
  const mismatches = ids.flatMap((id) => {
    const e = expected.partners[id] ?? zero;
    const r = restored.partners[id] ?? zero;
    return e.count === r.count && BigInt(e.sum) === BigInt(r.sum)
      ? []
      : [{ partner_id: id, expected: e, restored: r }];
  });
  return {
    checked: true,
    as_of: expected.as_of,
    partners_checked: ids.length,
    mismatches,
    match: mismatches.length === 0,
  };
}
