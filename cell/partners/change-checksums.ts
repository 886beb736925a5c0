// Checksums a move can split by its change log: per verified table, the count and two sums of a
// 64-bit hash of each row (honouring checksumExcept). A sum does not depend on row order and adds
// up over disjoint sets, so "rows the log never saw" and "rows it saw" are checked apart, and a
// large key list is checked in chunks. Sums are exact integers (numeric), returned as strings.
import type { Sql } from "../db/client.ts";
import { type PartnerTable, partnerTables } from "../db/partner-tables.ts";
import { checkLogIds, keyMatch, pkTypes, typedKeyColumns } from "./change-log.ts";

export interface SplitChecksum {
  table: string;
  count: number;
  h0: string;
  h1: string;
}

/** A table's keys, each the jsonb array of its primary-key values in pk order. */
export type KeysByTable = Record<string, unknown[][]>;

export const checksumTables = partnerTables.filter((t) => t.verified && t.partnerColumn);

const rowHash = (t: PartnerTable) =>
  `(to_jsonb(x)${(t.checksumExcept ?? []).map((c) => ` - '${c}'`).join("")})::text`;

const sums = (t: PartnerTable) =>
  `count(*)::int as count,
   coalesce(sum(hashtextextended(${rowHash(t)}, 0)::numeric), 0)::text as h0,
   coalesce(sum(hashtextextended(${rowHash(t)}, 1)::numeric), 0)::text as h1`;

type Row = { count: number; h0: string; h1: string };

/** Every row of the partner in `t`. */
async function allSums(sql: Sql, t: PartnerTable, partnerId: string): Promise<Row> {
  const [row] = await sql.unsafe<Row[]>(
    `select ${sums(t)} from "${t.table}" x where x."${t.partnerColumn}" = $1`,
    [partnerId],
  );
  return row!;
}

/** The partner's rows of `t` whose key is in `keys` (duplicates counted once). */
async function keySums(sql: Sql, t: PartnerTable, partnerId: string, keys: unknown[][]): Promise<Row> {
  if (keys.length === 0) return { count: 0, h0: "0", h1: "0" };
  const types = await pkTypes(sql, t);
  const [row] = await sql.unsafe<Row[]>(
    `select ${sums(t)} from (select distinct ${typedKeyColumns(types)}
       from jsonb_array_elements($2::text::jsonb) k) d
     join "${t.table}" x on ${keyMatch(t)} and x."${t.partnerColumn}" = $1`,
    [partnerId, JSON.stringify(keys)] as never[],
  );
  return row!;
}

/** The distinct keys the move logged for `t`, typed (so one key has one spelling). */
const loggedKeys = (t: PartnerTable, types: string[], moveParam = "$2") =>
  `select distinct ${typedKeyColumns(types)}
   from move_row_changes c, lateral (select c.pk as k) l
   where c.move_id = ${moveParam} and c.table_name = '${t.table}'`;

/**
 * On the source of a move, from one snapshot: the move's logged keys of every verified table, and
 * the sums of the partner's rows whose key is among them (`changed`) or not (`unchanged`).
 */
export async function sourceSplitChecksums(
  sql: Sql,
  partnerId: string,
  moveId: string,
  mode: "changed" | "unchanged",
): Promise<{ tables: SplitChecksum[]; keys: KeysByTable }> {
  checkLogIds(moveId, partnerId);
  const typesByTable = new Map<string, string[]>();
  for (const t of checksumTables) typesByTable.set(t.table, await pkTypes(sql, t));
  return sql.begin("isolation level repeatable read read only", async (tx) => {
    const tables: SplitChecksum[] = [];
    const keys: KeysByTable = {};
    for (const t of checksumTables) {
      const types = typesByTable.get(t.table)!;
      const cols = types.map((_, i) => `k${i}`).join(", ");
      const logged = await tx.unsafe<{ pk: unknown[] }[]>(
        `select jsonb_build_array(${cols}) as pk from (${loggedKeys(t, types, "$1")}) s`,
        [moveId] as never[],
      );
      keys[t.table] = logged.map((r) => r.pk);
      const [row] = await tx.unsafe<Row[]>(
        // Changed: the keys' rows by the primary key (under the freeze, O(changes)); unchanged:
        // every row of the partner but those (before the freeze, O(partner)).
        mode === "changed"
          ? `with d as materialized (${loggedKeys(t, types)})
             select ${sums(t)} from d join "${t.table}" x on ${keyMatch(t)} and x."${t.partnerColumn}" = $1`
          : `with d as materialized (${loggedKeys(t, types)})
             select ${sums(t)} from "${t.table}" x where x."${t.partnerColumn}" = $1
             and not exists (select 1 from d where ${keyMatch(t)})`,
        [partnerId, moveId] as never[],
      );
      tables.push({ table: t.table, ...row! });
    }
    return { tables, keys };
  }) as Promise<{ tables: SplitChecksum[]; keys: KeysByTable }>;
}

/**
 * On either cell: the sums of every row of the partner (`all`), or of its rows with the given keys
 * (`changed`; a table not in `keys` has none).
 */
export async function splitChecksums(
  sql: Sql,
  partnerId: string,
  mode: "all" | "changed",
  keys: KeysByTable = {},
): Promise<SplitChecksum[]> {
  const out: SplitChecksum[] = [];
  for (const t of checksumTables) {
    const row =
      mode === "all"
        ? await allSums(sql, t, partnerId)
        : await keySums(sql, t, partnerId, keys[t.table] ?? []);
    out.push({ table: t.table, ...row });
  }
  return out;
}
