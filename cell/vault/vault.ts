// The card vault of a cell: stores PANs encrypted under the cell's active data key (envelope
// encryption: data keys live sealed by the master key in `data_keys`), hands out tokens, and
// computes keyed digests so that no plain hash of a PAN is ever stored.
import { createHmac, hkdfSync } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { newId } from "../../shared/ids.ts";
import type { Db, Sql } from "../db/client.ts";
import { cardTokens, dataKeys } from "../db/schema.ts";
import {
  cardFingerprint,
  dataKeyIdOf,
  decryptWithDataKey,
  encryptWithDataKey,
  type MasterKey,
  newDataKey,
  openDataKey,
  sealDataKey,
} from "./envelope.ts";

export interface VaultCard {
  pan: string;
  brand: string;
  bin: string;
  last4: string;
  expMonth: number;
  expYear: number;
  holderName?: string | undefined;
}

export interface StoredCardToken {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  fingerprint: string;
  createdAt: Date;
}

export interface Vault {
  fingerprint(pan: string): string;
  /** Keyed digest for request bodies that may hold card data (idempotency request hashes). */
  digest(text: string): string;
  tokenize(partnerId: string, card: VaultCard): Promise<StoredCardToken>;
  /** Seals a secret that must be usable later (webhook signing secrets), bound to `aad`. */
  seal(plaintext: string, aad: string): string;
  open(ciphertext: string, aad: string): Promise<string>;
  /** The card behind a token of this partner, or undefined (another partner's token is unknown). */
  detokenize(partnerId: string, tokenId: string): Promise<(VaultCard & { fingerprint: string }) | undefined>;
}

// Any fixed 64-bit number works; it only has to be the same for every gateway of the cell.
const DATA_KEY_LOCK = 0x63656c6c_7061_79n;

export async function createVault(deps: { db: Db; sql: Sql; master: MasterKey }): Promise<Vault> {
  const { db, sql, master } = deps;
  const opened = new Map<string, Buffer>();
  const active = await ensureActiveDataKey(sql, master);
  opened.set(active.id, active.key);
  const digestKey = Buffer.from(
    hkdfSync("sha256", master.key, Buffer.alloc(0), "cellpay request digest", 32),
  );

  async function dataKey(id: string): Promise<Buffer> {
    const cached = opened.get(id);
    if (cached) return cached;
    const [row] = await db.select().from(dataKeys).where(eq(dataKeys.id, id));
    if (!row) throw new Error(`data key ${id} not found`);
    const key = openDataKey(master, row.sealedKey);
    opened.set(id, key);
    return key;
  }

  return {
    fingerprint: (pan) => cardFingerprint(master, pan),
    digest: (text) => createHmac("sha256", digestKey).update(text).digest("hex"),
    seal: (plaintext, aad) => encryptWithDataKey(active, plaintext, aad),
    open: async (ciphertext, aad) =>
      decryptWithDataKey(await dataKey(dataKeyIdOf(ciphertext)), ciphertext, aad),

    async tokenize(partnerId, card) {
      const id = newId("tok");
      const fingerprint = cardFingerprint(master, card.pan);
      const secret = JSON.stringify({ pan: card.pan, holder_name: card.holderName ?? null });
      const ciphertext = encryptWithDataKey(active, secret, `${partnerId}:${id}`);
      const [row] = await db
        .insert(cardTokens)
        .values({
          id,
          partnerId,
          cardCiphertext: ciphertext,
          brand: card.brand,
          bin: card.bin,
          last4: card.last4,
          expMonth: card.expMonth,
          expYear: card.expYear,
          fingerprint,
        })
        .returning({ createdAt: cardTokens.createdAt });
      return {
        id,
        brand: card.brand,
        last4: card.last4,
        expMonth: card.expMonth,
        expYear: card.expYear,
        fingerprint,
        createdAt: row!.createdAt,
      };
    },

    async detokenize(partnerId, tokenId) {
      const [row] = await db
        .select()
        .from(cardTokens)
        .where(and(eq(cardTokens.id, tokenId), eq(cardTokens.partnerId, partnerId)));
      if (!row) return undefined;
      const key = await dataKey(dataKeyIdOf(row.cardCiphertext));
      const secret = JSON.parse(decryptWithDataKey(key, row.cardCiphertext, `${partnerId}:${row.id}`)) as {
        pan: string;
        holder_name: string | null;
      };
      return {
        pan: secret.pan,
        holderName: secret.holder_name ?? undefined,
        brand: row.brand,
        bin: row.bin,
        last4: row.last4,
        expMonth: row.expMonth,
        expYear: row.expYear,
        fingerprint: row.fingerprint,
      };
    },
  };
}

/** The newest unretired data key, created (once, under an advisory lock) if the cell has none. */
async function ensureActiveDataKey(sql: Sql, master: MasterKey): Promise<{ id: string; key: Buffer }> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${DATA_KEY_LOCK.toString()}::bigint)`;
    const rows = await tx<{ id: string; sealed_key: string }[]>`
      select id, sealed_key from data_keys where retired_at is null order by created_at desc limit 1`;
    const row = rows[0];
    if (row) return { id: row.id, key: openDataKey(master, row.sealed_key) };
    const id = newId("dk");
    const key = newDataKey();
    await tx`insert into data_keys (id, sealed_key, master_key_id) values (${id}, ${sealDataKey(master, key)}, ${master.id})`;
    return { id, key };
  }) as Promise<{ id: string; key: Buffer }>;
}
