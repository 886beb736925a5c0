// The checksums of a move, split by the source's change log (cell/partners/change-checksums.ts):
// before the freeze, the rows the log never saw (source: one snapshot with its keys K; target:
// every row minus those with keys in K, sums being additive); under the freeze, the rows of every
// logged key on both cells. Key lists go to the target in chunks under the internal body limit.

import type { CellClient } from "../../shared/cell-api/cell-client.ts";
import { CHECKSUM_KEYS_MAX, IMPORT_BATCH_MAX_BYTES } from "../../shared/cell-api/contract.ts";

interface Sums {
  table: string;
  count: number;
  h0: string;
  h1: string;
}
type Keys = Record<string, unknown[][]>;

export interface TableCheck {
  table: string;
  count: number;
  match: boolean;
}

/** Splits a key list into request bodies under the body limit and the key bound. */
export function keyChunks(
  keys: Keys,
  maxBytes = IMPORT_BATCH_MAX_BYTES,
  maxKeys = CHECKSUM_KEYS_MAX,
): Keys[] {
  const chunks: Keys[] = [];
  let chunk: Keys = {};
  let bytes = 0;
  let n = 0;
  for (const [table, tableKeys] of Object.entries(keys)) {
    for (const key of tableKeys) {
      const size = Buffer.byteLength(JSON.stringify(key)) + 1;
      if (n > 0 && (bytes + size > maxBytes || n >= maxKeys)) {
        chunks.push(chunk);
        chunk = {};
        bytes = 0;
        n = 0;
      }
      const list = chunk[table] ?? [];
      list.push(key);
      chunk[table] = list;
      bytes += size;
      n++;
    }
  }
  if (n > 0) chunks.push(chunk);
  return chunks;
}

const add = (a: Sums, b: Sums, sign: 1n | -1n = 1n): Sums => ({
  table: a.table,
  count: a.count + Number(sign) * b.count,
  h0: String(BigInt(a.h0) + sign * BigInt(b.h0)),
  h1: String(BigInt(a.h1) + sign * BigInt(b.h1)),
});

/** The target's sums over the rows with the given keys, chunk by chunk. */
async function targetChanged(target: CellClient, partnerId: string, keys: Keys, capability: () => string) {
  let total: Map<string, Sums> | undefined;
  for (const chunk of keyChunks(keys)) {
    const { tables } = await target.splitChecksums(partnerId, { mode: "changed", keys: chunk }, capability());
    total ??= new Map(tables.map((t) => [t.table, { table: t.table, count: 0, h0: "0", h1: "0" }]));
    for (const t of tables)
      total.set(t.table, add(total.get(t.table) ?? { ...t, count: 0, h0: "0", h1: "0" }, t));
  }
  return total ?? new Map<string, Sums>();
}

function compare(source: Sums[], target: Map<string, Sums>): { tables: TableCheck[]; match: boolean } {
  const zero = (table: string): Sums => ({ table, count: 0, h0: "0", h1: "0" });
  const tables = source.map((s) => {
    const t = target.get(s.table) ?? zero(s.table);
    return { table: s.table, count: s.count, match: t.count === s.count && t.h0 === s.h0 && t.h1 === s.h1 };
  });
  return { tables, match: tables.every((t) => t.match) };
}

/** Before the freeze: the rows the change log never saw are equal on both cells. */
export async function verifyUnchanged(
  source: CellClient,
  target: CellClient,
  partnerId: string,
  capability: () => string,
) {
  const src = await source.splitChecksums(partnerId, { mode: "unchanged" }, capability());
  const keys = src.keys ?? {};
  const [all, changed] = await Promise.all([
    target.splitChecksums(partnerId, { mode: "all" }, capability()),
    targetChanged(target, partnerId, keys, capability),
  ]);
  const unchanged = new Map(
    all.tables.map((t) => [t.table, changed.has(t.table) ? add(t, changed.get(t.table)!, -1n) : t]),
  );
  return { ...compare(src.tables, unchanged), keys: Object.values(keys).reduce((n, k) => n + k.length, 0) };
}

/** Under the freeze: the rows of every key the change log saw are equal on both cells. */
export async function verifyChanged(
  source: CellClient,
  target: CellClient,
  partnerId: string,
  capability: () => string,
) {
  const src = await source.splitChecksums(partnerId, { mode: "changed" }, capability());
  const changed = await targetChanged(target, partnerId, src.keys ?? {}, capability);
  return { ...compare(src.tables, changed), sums: src.tables };
}
