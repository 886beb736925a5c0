// Reads of the cell registry, and the cell's public shape in the admin API.
import { count, eq } from "drizzle-orm";
import { missingSyncStandby } from "../../shared/cell-api/sync-standby.ts";
import { notFound } from "../../shared/errors.ts";
import type { DbOrTx } from "../db/client.ts";
import { cells, partners } from "../db/schema.ts";

export type CellRow = typeof cells.$inferSelect;

export async function findCell(db: DbOrTx, id: string): Promise<CellRow | undefined> {
  const rows = await db.select().from(cells).where(eq(cells.id, id)).limit(1);
  return rows[0];
}

export async function getCellOr404(db: DbOrTx, id: string, param?: string): Promise<CellRow> {
  const cell = await findCell(db, id);
  if (!cell) throw notFound("cell", id, param);
  return cell;
}

export async function partnerCountsByCell(db: DbOrTx): Promise<Map<string, number>> {
  const rows = await db
    .select({ cellId: partners.cellId, n: count() })
    .from(partners)
    .groupBy(partners.cellId);
  return new Map(rows.map((r) => [r.cellId, Number(r.n)]));
}

export async function partnerCountOf(db: DbOrTx, cellId: string): Promise<number> {
  const rows = await db.select({ n: count() }).from(partners).where(eq(partners.cellId, cellId));
  return Number(rows[0]?.n ?? 0);
}

export async function listCellsWithCounts(db: DbOrTx) {
  const [rows, counts] = await Promise.all([
    db.select().from(cells).orderBy(cells.id),
    partnerCountsByCell(db),
  ]);
  return rows.map((row) => ({ row, partnerCount: counts.get(row.id) ?? 0 }));
}

export const cellView = (row: CellRow, partnerCount: number) => ({
  object: "cell" as const,
  id: row.id,
  state: row.state,
  weight: row.weight,
  gateways: row.gateways,
  internal_gateways: row.internalGateways,
  health: {
    status: row.health.status,
    checked_at: row.health.checked_at,
    ready_gateways: row.health.ready_gateways,
  },
  database: row.health.database
    ? {
        ...row.health.database,
        sync_standby_missing: missingSyncStandby(row.health.database) ?? null,
        last_failover: row.health.last_failover ?? null,
      }
    : null,
  partner_count: partnerCount,
  created: Math.floor(row.createdAt.getTime() / 1000),
});

/** What the audit log keeps of a cell. */
export const cellAuditState = (row: CellRow) => ({
  state: row.state,
  weight: row.weight,
  gateways: row.gateways,
  internal_gateways: row.internalGateways,
});
