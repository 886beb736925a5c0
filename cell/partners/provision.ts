// Creating partners and their keys inside a cell. The control plane calls this (through the
// cell's internal API) when it places a partner here; the local launcher uses it for the demo partner.
import { and, eq, isNull } from "drizzle-orm";
import { newId } from "../../shared/ids.ts";
import type { Redis } from "../cache/redis-client.ts";
import type { Db } from "../db/client.ts";
import { apiKeys, partners } from "../db/schema.ts";
import { generateApiKey, type KeyMode } from "./api-keys.ts";
import { invalidateCachedKeys } from "./key-lookup.ts";

export async function provisionPartner(
  db: Db,
  input: { id?: string; name: string; mode?: KeyMode },
): Promise<{ partnerId: string; apiKey: string }> {
  const partnerId = input.id ?? newId("ptr");
  const key = generateApiKey(partnerId, input.mode ?? "test");
  await db.transaction(async (tx) => {
    await tx.insert(partners).values({ id: partnerId, name: input.name }).onConflictDoNothing();
    await tx.insert(apiKeys).values({
      id: key.id,
      partnerId,
      mode: key.mode,
      secretHash: key.secretHash,
      hint: key.hint,
    });
  });
  return { partnerId, apiKey: key.secret };
}

/**
 * The control plane's provisioning: idempotent, so a retried call finds the partner and only
 * issues the key asked for (none when the partner's rows are being moved in).
 */
export async function provisionPlacedPartner(
  db: Db,
  input: { id: string; name: string; settings: Record<string, unknown>; firstKeyMode?: KeyMode | undefined },
): Promise<{ apiKey: string | undefined }> {
  let apiKey: string | undefined;
  await db.transaction(async (tx) => {
    await tx
      .insert(partners)
      .values({ id: input.id, name: input.name, settings: input.settings })
      .onConflictDoNothing();
    if (input.firstKeyMode) {
      const key = generateApiKey(input.id, input.firstKeyMode);
      await tx.insert(apiKeys).values({
        id: key.id,
        partnerId: input.id,
        mode: key.mode,
        secretHash: key.secretHash,
        hint: key.hint,
      });
      apiKey = key.secret;
    }
  });
  return { apiKey };
}

/** A new key beside the existing ones (rotation: revoke the old one once clients moved). */
export async function issueApiKey(
  db: Db,
  partnerId: string,
  mode: KeyMode,
): Promise<{ id: string; apiKey: string }> {
  const key = generateApiKey(partnerId, mode);
  await db
    .insert(apiKeys)
    .values({ id: key.id, partnerId, mode, secretHash: key.secretHash, hint: key.hint });
  return { id: key.id, apiKey: key.secret };
}

/** Revokes a key; with `redis`, the cell's shared key cache forgets it at once. */
export async function revokeApiKey(
  db: Db,
  partnerId: string,
  keyId: string,
  redis?: Redis,
): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.partnerId, partnerId), isNull(apiKeys.revokedAt)))
    .returning({ secretHash: apiKeys.secretHash });
  // After the commit: a lookup in flight since before it cannot write the old record back.
  if (redis && rows[0]) await invalidateCachedKeys(redis, [rows[0].secretHash]);
  return rows.length > 0;
}
