// The change log of a partner move (migration 0012): per-move row triggers on every partner table
// write the primary key of each of the partner's rows that changes, so the catch-up and the
// frozen copy read only those keys instead of scanning every row of the partner by xmin.
// Identifiers come from partner-tables.ts and the catalog; move and partner ids are checked for
// their shape and enter DDL only as quoted literals.
import { createHash } from "node:crypto";
import type { Sql } from "../db/client.ts";
import { type PartnerTable, partnerTables } from "../db/partner-tables.ts";

/** Tables whose rows the log follows (data_keys, cell-wide, keeps its xmin catch-up). */
export const loggedTables = partnerTables.filter((t) => t.partnerColumn !== null);

const ID_SHAPE = /^[A-Za-z0-9_-]{1,100}$/;

export function checkLogIds(moveId: string, partnerId?: string): void {
  if (!ID_SHAPE.test(moveId)) throw new Error(`move id of an unexpected shape: '${moveId.slice(0, 40)}'`);
  if (partnerId !== undefined && !ID_SHAPE.test(partnerId))
    throw new Error(`partner id of an unexpected shape: '${partnerId.slice(0, 40)}'`);
}

/** Trigger names of a move: a short hash keeps them under 63 bytes whatever the move id. */
export function triggerNames(moveId: string): { iu: string; d: string } {
  const h = createHash("sha256").update(moveId).digest("hex").slice(0, 16);
  return { iu: `cellpay_move_${h}_iu`, d: `cellpay_move_${h}_d` };
}

/**
 * Runs a table's trigger DDL without ever waiting for a lock: it first takes the table's lock
 * (and its partitions', LOCK TABLE recurses) with NOWAIT, retrying after a short pause while
 * the table is busy. A DDL that waits would hold every later query of the table queued behind
 * it, and could close a lock cycle with a payment's transaction that the deadlock detector then
 * aborts (measured: a 500 to another partner's POST /v1/payments while a drain dropped triggers
 * on the partitioned events table). Holding every lock before the DDL, it waits for nobody.
 */
async function ddl(
  sql: Sql,
  table: string,
  mode: "SHARE ROW EXCLUSIVE" | "ACCESS EXCLUSIVE",
  statements: string[],
  attempts = 200,
): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(`LOCK TABLE "${table}" IN ${mode} MODE NOWAIT`);
        for (const s of statements) await tx.unsafe(s);
      });
      return;
    } catch (err) {
      // 55P03 lock_not_available: a query of the table is running; try again in a moment.
      if (i >= attempts || (err as { code?: string }).code !== "55P03") throw err;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
    }
  }
}

async function literal(sql: Sql, value: string): Promise<string> {
  const [row] = await sql<{ q: string }[]>`select quote_literal(${value}::text) as q`;
  return row!.q;
}

/** The oldest transaction still running: every transaction below it has finished. */
export async function changeCursor(sql: Sql): Promise<number> {
  const [row] = await sql<{ x: string }[]>`select pg_snapshot_xmin(pg_current_snapshot())::text as x`;
  return Number(row!.x);
}

/**
 * Creates the move's triggers on every logged table (a partitioned parent's clone to its
 * partitions, present and future) and returns the cursor a first catch-up reads from. Idempotent.
 */
export async function startChangeLog(sql: Sql, moveId: string, partnerId: string): Promise<number> {
  checkLogIds(moveId, partnerId);
  const names = triggerNames(moveId);
  const move = await literal(sql, moveId);
  const partner = await literal(sql, partnerId);
  for (const t of loggedTables) {
    const args = [
      move,
      await literal(sql, t.table),
      ...(await Promise.all(t.pk.map((c) => literal(sql, c)))),
    ];
    const fn = `EXECUTE FUNCTION cellpay_log_move_change(${args.join(", ")})`;
    await ddl(sql, t.table, "SHARE ROW EXCLUSIVE", [
      `CREATE OR REPLACE TRIGGER "${names.iu}" AFTER INSERT OR UPDATE ON "${t.table}" FOR EACH ROW
       WHEN (NEW."${t.partnerColumn}" = ${partner}) ${fn}`,
      `CREATE OR REPLACE TRIGGER "${names.d}" AFTER DELETE ON "${t.table}" FOR EACH ROW
       WHEN (OLD."${t.partnerColumn}" = ${partner}) ${fn}`,
    ]);
  }
  return changeCursor(sql);
}

/** Drops the move's triggers and deletes its log. Idempotent. */
export async function stopChangeLog(sql: Sql, moveId: string): Promise<void> {
  checkLogIds(moveId);
  const names = triggerNames(moveId);
  for (const t of loggedTables) {
    await ddl(sql, t.table, "ACCESS EXCLUSIVE", [
      `DROP TRIGGER IF EXISTS "${names.iu}" ON "${t.table}"`,
      `DROP TRIGGER IF EXISTS "${names.d}" ON "${t.table}"`,
    ]);
  }
  await sql`delete from move_row_changes where move_id = ${moveId}`;
}

const typesCache = new Map<string, string[]>();

/** The SQL types of a table's primary-key columns (format_type), so keys compare as the index does. */
export async function pkTypes(sql: Sql, t: PartnerTable): Promise<string[]> {
  const cached = typesCache.get(t.table);
  if (cached) return cached;
  const rows = await sql<{ attname: string; type: string }[]>`
    select a.attname, format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
    where a.attrelid = ${`public.${t.table}`}::regclass and a.attnum > 0 and not a.attisdropped`;
  const byName = new Map(rows.map((r) => [r.attname, r.type]));
  const types = t.pk.map((c) => {
    const type = byName.get(c);
    if (!type) throw new Error(`no column ${t.table}.${c}`);
    return type;
  });
  typesCache.set(t.table, types);
  return types;
}

/** `(k->>0)::type0 as k0, …` for a jsonb array key named `k` (types from the catalog only). */
export function typedKeyColumns(types: string[], k = "k"): string {
  return types.map((type, i) => `(${k}->>${i})::${type} as k${i}`).join(", ");
}

/** `x."c0" = d.k0 and …` */
export function keyMatch(t: PartnerTable, x = "x", d = "d"): string {
  return t.pk.map((c, i) => `${x}."${c}" = ${d}.k${i}`).join(" and ");
}

/**
 * One page of the keys logged for table `t` by transactions from `sinceXid8` on, after log
 * position `afterSeq`: the current rows of those keys (as exportRows gives them) and the keys
 * with no row any more (`deleted`); `next` is the log position to read on from, null at the end.
 */
export async function exportChanges(
  sql: Sql,
  t: PartnerTable,
  partnerId: string,
  moveId: string,
  opts: { sinceXid8: number; afterSeq?: number | undefined; limit: number },
): Promise<{ rows: Record<string, unknown>[]; deleted: unknown[][]; next: number | null }> {
  if (!t.partnerColumn) throw new Error(`${t.table} has no change log`);
  const types = await pkTypes(sql, t);
  const result = await sql.unsafe<
    { row: Record<string, unknown> | null; pk: unknown[]; last: string; n: number }[]
  >(
    `with page as (
       select seq, pk from move_row_changes
       where move_id = $1 and table_name = $2 and xid >= $3::text::xid8 and seq > $4
       order by seq limit $5),
     keys as (select distinct pk as k from page),
     d as (select k, ${typedKeyColumns(types)} from keys)
     select d.k as pk, to_jsonb(x) as row, (select max(seq) from page)::text as last, (select count(*) from page)::int as n
     from d left join "${t.table}" x on ${keyMatch(t)} and x."${t.partnerColumn}" = $6`,
    [moveId, t.table, String(opts.sinceXid8), opts.afterSeq ?? 0, opts.limit, partnerId] as never[],
  );
  const first = result[0];
  const rows: Record<string, unknown>[] = [];
  const deleted: unknown[][] = [];
  for (const r of result) {
    if (r.row) rows.push(r.row);
    else deleted.push(r.pk);
  }
  return { rows, deleted, next: first && first.n === opts.limit ? Number(first.last) : null };
}

/** Deletes the partner's rows of `t` with these primary keys (a deletion the change log saw). */
export async function deleteKeys(sql: Sql, t: PartnerTable, partnerId: string, keys: unknown[][]) {
  if (keys.length === 0 || !t.partnerColumn) return 0;
  const types = await pkTypes(sql, t);
  const result = await sql.unsafe(
    `delete from "${t.table}" x using (
       select ${typedKeyColumns(types)} from jsonb_array_elements($1::text::jsonb) k) d
     where ${keyMatch(t)} and x."${t.partnerColumn}" = $2`,
    [JSON.stringify(keys), partnerId] as never[],
  );
  return result.count;
}
