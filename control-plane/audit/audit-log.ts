// The audit log: every admin action, written in the same transaction as the change it records.
import { desc, lt } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import type { DbOrTx, Tx } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";

export interface AuditEntry {
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

export async function writeAudit(tx: Tx, actor: AdminActor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    actor: actor.tokenId,
    actorName: actor.name,
    action: entry.action,
    target: entry.target,
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}

/** Newest first; fetches limit + 1 rows so the caller can tell `has_more`. */
export async function listAudit(db: DbOrTx, opts: { limit: number; startingAfter?: number | undefined }) {
  return db
    .select()
    .from(auditLog)
    .where(opts.startingAfter === undefined ? undefined : lt(auditLog.id, opts.startingAfter))
    .orderBy(desc(auditLog.id))
    .limit(opts.limit + 1);
}
