// Copies a partner's rows from one cell to another through their internal APIs, table by table
// in pages; with `sinceXid`, only rows written since that source transaction id (catch-up). Every
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
