// Admin tokens (`adm_…`): not partner keys. Only a SHA-256 of each is stored; the bootstrap token
// comes from the environment and is ensured at every start (a changed one replaces the old one).
import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull, ne } from "drizzle-orm";
import type { AdminActor } from "../app-env.ts";
import type { ControlPlaneDb } from "../db/client.ts";
import { adminTokens } from "../db/schema.ts";

export const hashAdminToken = (token: string) => createHash("sha256").update(token).digest("hex");

export const newAdminToken = () => `adm_${randomBytes(24).toString("base64url")}`;

const BOOTSTRAP = "bootstrap";

export async function ensureBootstrapToken(db: ControlPlaneDb, token: string, now: Date): Promise<void> {
  const tokenHash = hashAdminToken(token);
  await db.transaction(async (tx) => {
    await tx
      .update(adminTokens)
      .set({ revokedAt: now })
      .where(
        and(
          eq(adminTokens.name, BOOTSTRAP),
          ne(adminTokens.tokenHash, tokenHash),
          isNull(adminTokens.revokedAt),
        ),
      );
    await tx
      .insert(adminTokens)
      .values({ id: `atk_${randomBytes(9).toString("hex")}`, name: BOOTSTRAP, tokenHash })
      .onConflictDoUpdate({ target: adminTokens.tokenHash, set: { revokedAt: null } });
  });
}

/** The token's actor, or undefined when it is unknown or revoked. */
export async function findAdminActor(db: ControlPlaneDb, token: string): Promise<AdminActor | undefined> {
  const rows = await db
    .select({ id: adminTokens.id, name: adminTokens.name })
    .from(adminTokens)
    .where(and(eq(adminTokens.tokenHash, hashAdminToken(token)), isNull(adminTokens.revokedAt)))
    .limit(1);
  const row = rows[0];
  return row ? { tokenId: row.id, name: row.name } : undefined;
}
