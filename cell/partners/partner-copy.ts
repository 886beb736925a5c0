// The cell side of moving a partner between cells: export its rows page by page (all of them, or
// those changed since a transaction id), import them with upserts that reproduce every value
// exactly, checksum them, and purge them. Tables and columns come from partner-tables.ts and the
// catalog, never from the request, so no identifier is ever taken from input.
import type { Sql } from "../db/client.ts";
import { type PartnerTable, partnerTables } from "../db/partner-tables.ts";

const columnsCache = new Map<string, string[]>();

async function columnsOf(sql: Sql, table: string): Promise<string[]> {
  const cached = columnsCache.get(table);
  if (cached) return cached;
  const rows = await sql<{ column_name: string }[]>`
    select column_name from information_schema.columns
    where table_schema = 'public' and table_name = ${table} order by ordinal_position`;
  const columns = rows.map((r) => r.column_name);
  columnsCache.set(table, columns);
  return columns;
}

/** The current transaction id (32-bit, as stored in xmin): rows changed after now have a larger one. */
export async function currentXid(sql: Sql): Promise<number> {
  const [row] = await sql<{ xid: string }[]>`select (txid_current() % 4294967296)::text as xid`;
  return Number(row!.xid);
}

/**
 * One page of a partner's rows of table `t`, in pk order after the cursor `after`; with
 * `sinceXid`, only rows written by transactions from that id on (catch-up). Identifiers come from
 * partner-tables.ts; values are bound parameters.
 */
export async function exportRows(
  sql: Sql,
  t: PartnerTable,
  partnerId: string,
  opts: { after?: unknown[] | undefined; sinceXid?: number | undefined; limit: number },
): Promise<{ rows: Record<string, unknown>[]; next: unknown[] | null }> {
  const pkList = t.pk.map((c) => `x."${c}"`).join(", ");
  const params: unknown[] = [partnerId];
  let where = t.partnerColumn ? `x."${t.partnerColumn}" = $1` : "$1::text is not null";
  if (opts.after) {
    const placeholders = opts.after.map((v) => {
      params.push(v);
      return `$${params.length}`;
    });
    where += ` and (${pkList}) > (${placeholders.join(", ")})`;
  }
  if (opts.sinceXid !== undefined) {
    params.push(opts.sinceXid);
    where += ` and x.xmin::text::bigint >= $${params.length}`;
  }
  params.push(opts.limit);
  const rows = await sql.unsafe<{ row: Record<string, unknown>; cursor: unknown[] }[]>(
    `select to_jsonb(x) as row, jsonb_build_array(${pkList}) as cursor from "${t.table}" x
     where ${where} order by ${pkList} limit $${params.length}`,
    params as never[],
  );
  const last = rows.at(-1);
  return { rows: rows.map((r) => r.row), next: rows.length === opts.limit && last ? last.cursor : null };
}

/**
 * Ids of imported data keys that are another key than the one this cell holds under that id (an
 * import must not replace them). The sealed values may differ for the same key, and do after a
 * move or a master rotation (each cell seals for its own KEK, cell/vault/cell-kek.ts); the key
 * check value does not, so it decides. Rows from before key checks fall back to the sealed value.
 */
export async function conflictingDataKeys(sql: Sql, rows: Record<string, unknown>[]): Promise<string[]> {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const incoming = rows.map((r) => ({
    id: String(r.id ?? ""),
    sealed: String(r.sealed_key ?? ""),
    check: text(r.key_check),
  }));
  if (incoming.length === 0) return [];
  const held = await sql<{ id: string; sealed_key: string; key_check: string | null }[]>`
    select id, sealed_key, key_check from data_keys where id = any(${incoming.map((r) => r.id)}::text[])`;
  const heldById = new Map(held.map((r) => [r.id, r]));
  return incoming
    .filter((r) => {
      const mine = heldById.get(r.id);
      if (!mine) return false;
      const myCheck = text(mine.key_check);
      return myCheck && r.check ? myCheck !== r.check : mine.sealed_key !== r.sealed;
    })
    .map((r) => r.id);
}

/** Upserts rows exactly as exported (jsonb_populate_recordset keeps every type and value). */
export async function importRows(
  sql: Sql,
  t: PartnerTable,
  rows: Record<string, unknown>[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = await columnsOf(sql, t.table);
  // Data keys are inserted, never updated: the caller refused those whose sealed value differs.
  const updates = columns
    .filter((c) => !t.pk.includes(c) && t.table !== "data_keys")
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(", ");
  // An event is published by the cell that wrote it (the freeze waits for the source's relay), and
  // its effects (ledger, settlements, webhook deliveries) arrive here by the copy. A copied event
  // still unpublished must not be relayed by this cell too: its workers would apply it a second
  // time and race the import of those same effects (settlements_partner_day violations).
  const values =
    t.table === "events"
      ? rows.map((r) => ({ ...r, published_at: r.published_at ?? new Date().toISOString() }))
      : rows;
  const result = await sql.unsafe(
    `insert into "${t.table}" select * from jsonb_populate_recordset(null::"${t.table}", $1::text::jsonb)
     on conflict (${t.pk.map((c) => `"${c}"`).join(", ")}) do ${updates ? `update set ${updates}` : "nothing"}`,
    [JSON.stringify(values)] as never[],
  );
  return result.count;
}

export interface TableChecksum {
  table: string;
  count: number;
  checksum: string;
}

/** Count and md5 of every verified table's rows of the partner, in pk order. */
export async function checksums(sql: Sql, partnerId: string): Promise<TableChecksum[]> {
  const out: TableChecksum[] = [];
  for (const t of partnerTables.filter((x) => x.verified && x.partnerColumn)) {
    const except = (t.checksumExcept ?? []).map((c) => ` - '${c}'`).join("");
    const order = t.pk.map((c) => `x."${c}"`).join(", ");
    const [row] = await sql.unsafe<{ count: number; checksum: string | null }[]>(
      `select count(*)::int as count, md5(string_agg((to_jsonb(x)${except})::text, ',' order by ${order})) as checksum
       from "${t.table}" x where x."${t.partnerColumn}" = $1`,
      [partnerId],
    );
    out.push({ table: t.table, count: row?.count ?? 0, checksum: row?.checksum ?? "" });
  }
  return out;
}

/** Deletes every row of the partner in this cell, children first, in one transaction. */
export async function purgePartner(sql: Sql, partnerId: string): Promise<number> {
  let deleted = 0;
  await sql.begin(async (tx) => {
    for (const t of [...partnerTables].reverse()) {
      if (!t.partnerColumn) continue;
      const r = await tx.unsafe(`delete from "${t.table}" where "${t.partnerColumn}" = $1`, [partnerId]);
      deleted += r.count;
    }
  });
  return deleted;
}

/** What the cell's workers still owe for a partner: events not yet published or processed. */
export async function workerBacklog(
  sql: Sql,
  partnerId: string,
): Promise<{ unpublished: number; unprocessed: number }> {
  const [row] = await sql<{ unpublished: number; unprocessed: number }[]>`
    select
      (select count(*)::int from events where partner_id = ${partnerId} and published_at is null) as unpublished,
      (select count(*)::int from events e where e.partner_id = ${partnerId}
         and e.created_at > now() - interval '1 day'
         and e.type in ('payment.captured', 'refund.succeeded')
         and not exists (select 1 from processed_events p where p.event_id = e.id and p.consumer = 'ledger')) as unprocessed`;
  return row ?? { unpublished: 0, unprocessed: 0 };
}
