// Copies a partner's rows from one cell to another through their internal APIs, table by table
// in pages; with `sinceXid`, only rows written since that source transaction id (catch-up).

import { partnerTables } from "../../cell/db/partner-tables.ts";
import type { CellClient } from "../../shared/cell-api/cell-client.ts";

export const COPY_PAGE_ROWS = 1000;

interface Page {
  rows: Record<string, unknown>[];
  next: unknown[] | null;
}

export async function copyPartnerRows(
  source: CellClient,
  target: CellClient,
  partnerId: string,
  opts: {
    sinceXid?: number;
    onTable?: (done: number, total: number, rows: number) => Promise<void> | void;
  } = {},
): Promise<number> {
  let copied = 0;
  let done = 0;
  for (const t of partnerTables) {
    let after: unknown[] | null = null;
    do {
      const query = new URLSearchParams({ limit: String(COPY_PAGE_ROWS) });
      if (after) query.set("after", JSON.stringify(after));
      if (opts.sinceXid !== undefined) query.set("since_xid", String(opts.sinceXid));
      const page: Page = await source.call(
        "GET",
        `/partners/${partnerId}/export/${t.table}?${query}`,
        undefined,
        30_000,
      );
      if (page.rows.length > 0) {
        await target.call("POST", `/partners/${partnerId}/import/${t.table}`, { rows: page.rows }, 30_000);
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
  return (await source.call<{ xid: number }>("GET", "/xid")).xid;
}

export interface TableChecksum {
  table: string;
  count: number;
  checksum: string;
}

/** Per-table comparison of the verified tables on both cells. */
export async function compareChecksums(source: CellClient, target: CellClient, partnerId: string) {
  const [a, b] = await Promise.all([
    source.call<{ tables: TableChecksum[] }>("GET", `/partners/${partnerId}/checksums`, undefined, 30_000),
    target.call<{ tables: TableChecksum[] }>("GET", `/partners/${partnerId}/checksums`, undefined, 30_000),
  ]);
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
