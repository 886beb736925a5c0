// Admin tokens (`adm_…`): not partner keys. Only a SHA-256 of each is stored (a token is 32
// random bytes, so a plain hash cannot be searched). Each has a name, a role and an expiry; the
// bootstrap token comes from the configuration and can only create the first admin.
import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, gt, isNull, lt, ne, or } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import type { ControlPlaneDb, DbOrTx } from "../db/client.ts";
import { type AdminRoleName, adminTokens } from "../db/schema.ts";
import type { MintableRole } from "./roles.ts";

export const hashAdminToken = (token: string) => createHash("sha256").update(token).digest("hex");

export const newAdminToken = () => `adm_${randomBytes(32).toString("base64url")}`;

export const BOOTSTRAP_NAME = "bootstrap";
/** `last_used_at` is written at most this often per token: a read must not cost a write. */
const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * Makes the configured bootstrap token the only bootstrap row (a changed one replaces the old);
 * with none configured, every bootstrap row is revoked: the bootstrap is disabled.
 */
export async function ensureBootstrapToken(db: ControlPlaneDb, token: string | undefined, now: Date) {
  const tokenHash = token ? hashAdminToken(token) : "";
  await db.transaction(async (tx) => {
    await tx
      .update(adminTokens)
      .set({ revokedAt: now })
      .where(
        and(
          eq(adminTokens.role, "bootstrap"),
          ne(adminTokens.tokenHash, tokenHash),
          isNull(adminTokens.revokedAt),
        ),
      );
    if (!token) return;
    await tx
      .insert(adminTokens)
      .values({
        id: `atk_${randomBytes(9).toString("hex")}`,
        name: BOOTSTRAP_NAME,
        tokenHash,
        role: "bootstrap",
      })
      .onConflictDoUpdate({ target: adminTokens.tokenHash, set: { revokedAt: null, role: "bootstrap" } });
  });
}

const active = (now: Date) =>
  and(isNull(adminTokens.revokedAt), or(isNull(adminTokens.expiresAt), gt(adminTokens.expiresAt, now)));

/** The token's actor, or undefined when it is unknown, revoked or expired. */
export async function findAdminActor(
  db: ControlPlaneDb,
  token: string,
  now: Date,
): Promise<AdminActor | undefined> {
  const row = (
    await db
      .select()
      .from(adminTokens)
      .where(and(eq(adminTokens.tokenHash, hashAdminToken(token)), active(now)))
      .limit(1)
  )[0];
  if (!row) return undefined;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
    // Conditional, so concurrent calls in the same minute write once.
    await db
      .update(adminTokens)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(adminTokens.id, row.id),
          or(
            isNull(adminTokens.lastUsedAt),
            lt(adminTokens.lastUsedAt, new Date(now.getTime() - LAST_USED_GRANULARITY_MS)),
          ),
        ),
      );
  }
  return { tokenId: row.id, name: row.name, role: row.role, expiresAt: row.expiresAt };
}

/** The actor of a token id (dashboard sessions hold the id), if still active. */
export async function findActorById(db: DbOrTx, id: string, now: Date): Promise<AdminActor | undefined> {
  const row = (
    await db
      .select()
      .from(adminTokens)
      .where(and(eq(adminTokens.id, id), active(now)))
  )[0];
  return row ? { tokenId: row.id, name: row.name, role: row.role, expiresAt: row.expiresAt } : undefined;
}

/** Whether an active admin-role token exists: from then on the bootstrap token is refused. */
export async function activeAdminExists(db: DbOrTx, now: Date): Promise<boolean> {
  const rows = await db
    .select({ id: adminTokens.id })
    .from(adminTokens)
    .where(and(eq(adminTokens.role, "admin"), active(now)))
    .limit(1);
  return rows.length > 0;
}

export type AdminTokenRow = typeof adminTokens.$inferSelect;

export async function createAdminToken(
  db: DbOrTx,
  input: { name: string; role: MintableRole; expiresAt: Date; createdBy: string },
): Promise<{ row: AdminTokenRow; token: string }> {
  const token = newAdminToken();
  const row = (
    await db
      .insert(adminTokens)
      .values({
        id: `atk_${randomBytes(9).toString("hex")}`,
        name: input.name,
        role: input.role,
        tokenHash: hashAdminToken(token),
        expiresAt: input.expiresAt,
        createdBy: input.createdBy,
      })
      .returning()
  )[0]!;
  return { row, token };
}

export async function listAdminTokens(db: DbOrTx): Promise<AdminTokenRow[]> {
  return db.select().from(adminTokens).orderBy(desc(adminTokens.createdAt), desc(adminTokens.id));
}

/** Revokes a token (idempotent); undefined when there is no such token. */
export async function revokeAdminToken(
  db: DbOrTx,
  id: string,
  now: Date,
): Promise<AdminTokenRow | undefined> {
  const row = (await db.select().from(adminTokens).where(eq(adminTokens.id, id)).for("update"))[0];
  if (!row || row.revokedAt) return row;
  return (await db.update(adminTokens).set({ revokedAt: now }).where(eq(adminTokens.id, id)).returning())[0];
}

export const isRole = (role: string): role is AdminRoleName =>
  ["viewer", "operator", "partner_manager", "admin", "auditor", "bootstrap"].includes(role);
