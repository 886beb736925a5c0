// Move rows: the durable record of a move's progress, so a restarted control plane can finish or
// roll back every move it finds unfinished.
import { and, eq, inArray } from "drizzle-orm";
import { notFound } from "../../shared/errors.ts";
import type { DbOrTx } from "../db/client.ts";
import { moves } from "../db/schema.ts";

export const moveStatuses = [
  "pending",
  "copying",
  "catching_up",
  "frozen",
  "verifying",
  "completed",
  "rolled_back",
  "failed",
] as const;
export type MoveStatus = (typeof moveStatuses)[number];
export const unfinishedStatuses: MoveStatus[] = ["pending", "copying", "catching_up", "frozen", "verifying"];

export interface MoveProgress {
  tables_done?: number;
  tables_total?: number;
  rows_copied?: number;
  catch_up_passes?: number;
  /** Transaction id on the source from which changes still need copying. */
  since_xid?: number;
  /** Source change-log cursor (a full transaction id) the next catch-up pass reads from. */
  change_cursor?: number;
  /** The source's change log of the move is gone (its triggers and rows). */
  change_log_stopped?: boolean;
  frozen_at?: string;
  flipped_at?: string;
  routing_version?: number;
  purge_after?: string;
  purged?: boolean;
  checksums?: { table: string; count: number; match: boolean }[];
  message?: string;
}

export type MoveRow = typeof moves.$inferSelect;

export async function getMoveOr404(db: DbOrTx, id: string): Promise<MoveRow> {
  const [row] = await db.select().from(moves).where(eq(moves.id, id));
  if (!row) throw notFound("move", id);
  return row;
}

export async function activeMoveOf(db: DbOrTx, partnerId: string): Promise<MoveRow | undefined> {
  const [row] = await db
    .select()
    .from(moves)
    .where(and(eq(moves.partnerId, partnerId), inArray(moves.status, unfinishedStatuses)));
  return row;
}

export async function updateMove(
  db: DbOrTx,
  id: string,
  change: { status?: MoveStatus; progress?: MoveProgress; stallMs?: number; error?: string | null },
): Promise<void> {
  await db
    .update(moves)
    .set({
      ...(change.status ? { status: change.status } : {}),
      ...(change.progress ? { progress: change.progress } : {}),
      ...(change.stallMs !== undefined ? { stallMs: change.stallMs } : {}),
      ...(change.error !== undefined ? { error: change.error } : {}),
      updatedAt: new Date(),
    })
    .where(eq(moves.id, id));
}

export const moveView = (row: MoveRow) => ({
  id: row.id,
  object: "move" as const,
  partner_id: row.partnerId,
  source_cell_id: row.sourceCellId,
  target_cell_id: row.targetCellId,
  status: row.status as MoveStatus,
  progress: row.progress as MoveProgress,
  stall_ms: row.stallMs ?? null,
  error: row.error ?? null,
  created: Math.floor(row.createdAt.getTime() / 1000),
  updated: Math.floor(row.updatedAt.getTime() / 1000),
});
