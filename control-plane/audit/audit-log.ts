// The audit log: every admin call, and every change written in the same transaction as the change
// it records. Appending takes the chain head's row lock, so appends are serialised and the chain
// cannot fork; callers append last in their transaction, so the lock is held only until commit.
import { and, asc, desc, eq, gt, gte, lt, lte, sql } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import type { ControlPlaneDb, DbOrTx, Tx } from "../db/client.ts";
import { auditChainHead, auditLog } from "../db/schema.ts";
import { auditRowHash, type ChainedAuditRow } from "./audit-chain.ts";

export interface AuditEntry {
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  /** The HTTP status of the call (middleware rows). */
  status?: number | null;
}

export async function writeAudit(tx: Tx, actor: AdminActor, entry: AuditEntry): Promise<void> {
  const head = (await tx.select().from(auditChainHead).where(eq(auditChainHead.id, 1)).for("update"))[0];
  const prevHash = head?.lastHash ?? "";
  const idRows = await tx.execute<{ id: string }>(
    sql`select nextval(pg_get_serial_sequence('audit_log', 'id'))::text as id`,
  );
  const id = Number(idRows[0]!.id);
  const createdAt = new Date();
  const row: Omit<ChainedAuditRow, "hash"> = {
    id,
    actor: actor.tokenId,
    actor_name: actor.name,
    actor_role: actor.role,
    source_ip: actor.sourceIp ?? null,
    request_id: actor.requestId ?? null,
    action: entry.action,
    target: entry.target,
    reason: actor.reason ?? null,
    status: entry.status ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    created_at: createdAt.toISOString(),
    prev_hash: prevHash,
  };
  const hash = auditRowHash(row);
  await tx.insert(auditLog).values({
    id,
    actor: row.actor,
    actorName: row.actor_name,
    actorRole: row.actor_role,
    sourceIp: row.source_ip,
    requestId: row.request_id,
    action: row.action,
    target: row.target,
    reason: row.reason,
    status: row.status,
    before: row.before,
    after: row.after,
    createdAt,
    prevHash,
    hash,
  });
  await tx
    .insert(auditChainHead)
    .values({ id: 1, lastId: id, lastHash: hash })
    .onConflictDoUpdate({ target: auditChainHead.id, set: { lastId: id, lastHash: hash } });
  // The request's middleware adds no second row for a call whose handler recorded it.
  actor.recorded = true;
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

/** Oldest first (chain order), for export and verification; limit + 1 rows as above. */
export async function exportAudit(
  db: ControlPlaneDb,
  opts: { from?: Date | undefined; to?: Date | undefined; afterId?: number | undefined; limit: number },
): Promise<{ rows: ChainedAuditRow[]; hasMore: boolean; head: { last_id: number; last_hash: string } }> {
  // One snapshot for the rows and the head: a row committed between the two reads would
  // otherwise look like a row removed from the end of the chain.
  return db.transaction(async (tx) => exportSnapshot(tx, opts), { isolationLevel: "repeatable read" });
}

async function exportSnapshot(
  db: Tx,
  opts: { from?: Date | undefined; to?: Date | undefined; afterId?: number | undefined; limit: number },
) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        opts.from ? gte(auditLog.createdAt, opts.from) : undefined,
        opts.to ? lte(auditLog.createdAt, opts.to) : undefined,
        opts.afterId === undefined ? undefined : gt(auditLog.id, opts.afterId),
      ),
    )
    .orderBy(asc(auditLog.id))
    .limit(opts.limit + 1);
  const head = (await db.select().from(auditChainHead).where(eq(auditChainHead.id, 1)))[0];
  return {
    rows: rows.slice(0, opts.limit).map(chainedRowOf),
    hasMore: rows.length > opts.limit,
    head: { last_id: head?.lastId ?? 0, last_hash: head?.lastHash ?? "" },
  };
}

export function chainedRowOf(r: typeof auditLog.$inferSelect): ChainedAuditRow {
  return {
    id: r.id,
    actor: r.actor,
    actor_name: r.actorName,
    actor_role: r.actorRole,
    source_ip: r.sourceIp,
    request_id: r.requestId,
    action: r.action,
    target: r.target,
    reason: r.reason,
    status: r.status,
    before: r.before,
    after: r.after,
    created_at: r.createdAt.toISOString(),
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}
