// Copies a partner's rows from one cell to another through their internal APIs, table by table
// in pages; with `sinceXid`, only rows written since that source transaction id; or the keys the
// source's change log saw (copyPartnerChanges, a move's catch-up and frozen copy). Every
// export and import carries a fresh move capability for this move; a page is imported in batches
// that stay under the internal API's body limit whatever the rows' size.

import { partnerTables } from "../../cell/db/partner-tables.ts";
import type { CellClient } from "../../shared/cell-api/cell-client.ts";
import { IMPORT_BATCH_MAX_BYTES } from "../../shared/cell-api/contract.ts";

export const COPY_PAGE_ROWS = 1000;

/** Splits rows into batches whose JSON stays under maxBytes (a lone larger row goes alone). */
export function importBatches(rows: Record<string, unknown>[], maxBytes = IMPORT_BATCH_MAX_BYTES) {
  const batches: Record<string, unknown>[][] = [];
  let batch: Record<string, unknown>[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (batch.length > 0 && bytes + size > maxBytes) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export async function copyPartnerRows(
  source: CellClient,
  target: CellClient,
  partnerId: string,
  opts: {
    /** A fresh capability of the move (cheap: one signature). */
    capability: () => string;
    sinceXid?: number;
    pageRows?: number;
    onTable?: (done: number, total: number, rows: number) => Promise<void> | void;
  },
): Promise<number> {
  let copied = 0;
  let done = 0;
  for (const t of partnerTables) {
    let after: unknown[] | null = null;
    do {
      const page = await source.exportRows(
        partnerId,
        t.table,
        { after, sinceXid: opts.sinceXid, limit: opts.pageRows ?? COPY_PAGE_ROWS },
        opts.capability(),
      );
      for (const batch of importBatches(page.rows)) {
        await target.importRows(partnerId, t.table, batch, opts.capability());
      }
      copied += page.rows.length;
      after = page.next;
    } while (after);
    done++;
    await opts.onTable?.(done, partnerTables.length, copied);
  }
  return copied;
}

/**
 * Copies what the source's change log saw since `sinceXid8` (catch-up and the frozen copy): the
 * current rows of the logged keys, and deletions of those gone. Tables without a partner column
 * (data_keys, a few rows) are read by xmin from `sinceXid`. Returns rows written plus deleted.
 */
export async function copyPartnerChanges(
  source: CellClient,
  target: CellClient,
  partnerId: string,
  opts: { capability: () => string; sinceXid8: number; sinceXid: number; pageRows?: number },
): Promise<number> {
  let copied = 0;
  for (const t of partnerTables) {
    if (!t.partnerColumn) {
      copied += await copyTable(source, target, partnerId, t.table, opts);
      continue;
    }
    let afterSeq: number | null = null;
    do {
      const page = await source.exportChanges(
        partnerId,
        t.table,
        { sinceXid8: opts.sinceXid8, afterSeq, limit: opts.pageRows ?? COPY_PAGE_ROWS },
        opts.capability(),
      );
      const batches = importBatches(page.rows);
      if (batches.length === 0 && page.deleted.length > 0) batches.push([]);
      for (const [i, batch] of batches.entries()) {
        const deletes = i === batches.length - 1 ? page.deleted : undefined;
        await target.importRows(partnerId, t.table, batch, opts.capability(), deletes);
      }
      copied += page.rows.length + page.deleted.length;
      afterSeq = page.next;
    } while (afterSeq !== null);
  }
  return copied;
}

async function copyTable(
  source: CellClient,
  target: CellClient,
  partnerId: string,
  table: string,
  opts: { capability: () => string; sinceXid: number; pageRows?: number },
): Promise<number> {
  let copied = 0;
  let after: unknown[] | null = null;
  do {
    const page = await source.exportRows(
      partnerId,
      table,
      { after, sinceXid: opts.sinceXid, limit: opts.pageRows ?? COPY_PAGE_ROWS },
      opts.capability(),
    );
    for (const batch of importBatches(page.rows)) {
      await target.importRows(partnerId, table, batch, opts.capability());
    }
    copied += page.rows.length;
    after = page.next;
  } while (after);
  return copied;
}

export async function sourceXid(source: CellClient): Promise<number> {
  return source.xid();
}

/** Per-table comparison of the verified tables on both cells. */
export async function compareChecksums(source: CellClient, target: CellClient, partnerId: string) {
  const [a, b] = await Promise.all([source.checksums(partnerId), target.checksums(partnerId)]);
  const targetByTable = new Map(b.tables.map((t) => [t.table, t]));
  const tables = a.tables.map((t) => {
    const other = targetByTable.get(t.table);
    return {
      table: t.table,
      count: t.count,
      match: other?.count === t.count && other.checksum === t.checksum,
    };
  });
  return { tables, match: tables.every((t) => t.match) };
}
