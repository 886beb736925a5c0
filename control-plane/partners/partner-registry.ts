// Reads of the partner registry, and the partner's public shape in the admin API.
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { notFound } from "../../shared/errors.ts";
import type { DbOrTx } from "../db/client.ts";
import { partners } from "../db/schema.ts";

export type PartnerRow = typeof partners.$inferSelect;

export async function getPartnerOr404(db: DbOrTx, id: string, opts: { forUpdate?: boolean } = {}) {
  const query = db.select().from(partners).where(eq(partners.id, id)).limit(1);
  const rows = opts.forUpdate ? await query.for("update") : await query;
  if (!rows[0]) throw notFound("partner", id);
  return rows[0];
}

export interface ListPartnersOptions {
  limit: number;
  startingAfter?: string | undefined;
  cellId?: string | undefined;
  status?: "active" | "suspended" | undefined;
}

/** Newest first (ids sort by creation); limit + 1 rows so the caller can tell `has_more`. */
export async function listPartners(db: DbOrTx, opts: ListPartnersOptions): Promise<PartnerRow[]> {
  const where: SQL[] = [];
  if (opts.cellId !== undefined) where.push(eq(partners.cellId, opts.cellId));
  if (opts.status !== undefined) where.push(eq(partners.status, opts.status));
  if (opts.startingAfter !== undefined) where.push(lt(partners.id, opts.startingAfter));
  return db
    .select()
    .from(partners)
    .where(and(...where))
    .orderBy(desc(partners.id))
    .limit(opts.limit + 1);
}

export const partnerView = (row: PartnerRow) => ({
  object: "partner" as const,
  id: row.id,
  name: row.name,
  status: row.status,
  cell_id: row.cellId,
  settings: row.settings,
  created: Math.floor(row.createdAt.getTime() / 1000),
});

/** What the audit log keeps of a partner. */
export const partnerAuditState = (row: PartnerRow) => ({
  name: row.name,
  status: row.status,
  cell_id: row.cellId,
  settings: row.settings,
});
