// The change log of a partner move (migration 0012): permanent row triggers on every partner table
// write the primary key of each changed row of a partner listed in move_log_partners, so the
// catch-up and the frozen copy read only those keys instead of scanning every row of the partner
// by xmin. Identifiers come from partner-tables.ts and the catalog; values are bound parameters.
import { ApiError } from "../../shared/errors.ts";
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

/** The oldest transaction still running: every transaction below it has finished. */
export async function changeCursor(sql: Sql): Promise<number> {
  const [row] = await sql<{ x: string }[]>`select pg_snapshot_xmin(pg_current_snapshot())::text as x`;
  return Number(row!.x);
}

/**
 * Starts logging the partner's changes for this move (its row in move_log_partners; the triggers
 * of migration 0012 are permanent, so this takes no table lock) and returns the cursor a first
 * catch-up reads from. A write whose statement began before this commit did not see the row and
 * was not logged, so it waits for every transaction open at the commit to end: after that, every
 * change not logged is visible to the bulk copy that follows. Idempotent.
 */
export async function startChangeLog(
  sql: Sql,
  moveId: string,
  partnerId: string,
  waitMs = 30_000,
): Promise<number> {
  checkLogIds(moveId, partnerId);
  const [row] = await sql<{ move_id: string; at: Date }[]>`
    insert into move_log_partners (partner_id, move_id) values (${partnerId}, ${moveId})
    on conflict (partner_id) do update set move_id = move_log_partners.move_id
    returning move_id, clock_timestamp() as at`;
  if (row!.move_id !== moveId)
    throw new ApiError(
      "move_in_progress",
      `Partner ${partnerId} is already logged for move ${row!.move_id}.`,
    );
  const deadline = Date.now() + waitMs;
  for (;;) {
    const [open] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where xact_start < ${row!.at} and pid <> pg_backend_pid() and backend_type = 'client backend'
        and datname = current_database()`;
    if (open!.n === 0) break;
    if (Date.now() > deadline)
      throw new ApiError(
        "service_unavailable",
        `${open!.n} transactions older than the change log still open after ${waitMs} ms; retry the move.`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
  return changeCursor(sql);
}

/** Stops logging for the move and deletes its log. Idempotent. */
export async function stopChangeLog(sql: Sql, moveId: string): Promise<void> {
  checkLogIds(moveId);
  await sql.begin(async (tx) => {
    await tx`delete from move_log_partners where move_id = ${moveId}`;
    await tx`delete from move_row_changes where move_id = ${moveId}`;
  });
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
