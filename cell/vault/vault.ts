// The card vault of a cell: stores PANs encrypted under the cell's active data key (envelope
// encryption: data keys live sealed by the cell's KEK in `data_keys`, vault/cell-kek.ts), hands
// out tokens, and computes keyed digests so that no plain hash of a PAN is ever stored. Every
// encryption is counted against its key (reserved in blocks), and a key that reaches its limit is
// replaced before it passes it.
import { createHmac, hkdfSync } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Logger } from "pino";
import { newId } from "../../shared/ids.ts";
import type { Db, Sql } from "../db/client.ts";
import { cardTokens } from "../db/schema.ts";
import type { ModeScope } from "../partners/mode-scope.ts";
import { checkCanary } from "./canary.ts";
import { UnknownMasterKeyError } from "./cell-kek.ts";
import {
  activeKeyWithRoom,
  DATA_KEY_ENCRYPTION_LIMIT,
  type DataKeyRow,
  ensureActiveDataKey,
  openRow,
  reserveEncryptions,
} from "./data-key-store.ts";
import { cardFingerprint, dataKeyIdOf, decryptWithDataKey, encryptWithDataKey } from "./envelope.ts";
import type { KeyringSource, MasterKeyring } from "./master-keyring.ts";
import { createVaultKeys, type VaultKeys } from "./vault-keys.ts";

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
  livemode: boolean;
  createdAt: Date;
}

export interface Vault {
  fingerprint(pan: string): string;
  /** Keyed digest for request bodies that may hold card data (idempotency request hashes). */
  digest(text: string): string;
  tokenize(scope: ModeScope, card: VaultCard): Promise<StoredCardToken>;
  /** Seals a secret that must be usable later (webhook signing secrets), bound to `aad`. */
  seal(plaintext: string, aad: string): string;
  open(ciphertext: string, aad: string): Promise<string>;
  /** The card behind a token of this partner and mode, or undefined (any other token is unknown). */
  detokenize(scope: ModeScope, tokenId: string): Promise<(VaultCard & { fingerprint: string }) | undefined>;
  /** Key management of the cell: status, rotations (the internal API's /keys routes). */
  keys: VaultKeys;
  /** Stops background work (a running data-key rotation); the rotation resumes at the next start. */
  close(): Promise<void>;
}

export interface VaultOptions {
  db: Db;
  sql: Sql;
  keyring: KeyringSource;
  cellId: string;
  log?: Logger | undefined;
  /** Encryptions allowed under one data key (DATA_KEY_ENCRYPTION_LIMIT; lower in tests). */
  encryptionLimit?: number | undefined;
  /** Encryptions reserved per database round trip. */
  encryptionBlock?: number | undefined;
  /** Run (and resume) data-key rotations in this process: gateways yes, processors no. */
  runRotations?: boolean | undefined;
}

// A gateway re-checks that its key is still the cell's active one at least this often, so after a
// rotation no gateway keeps encrypting under the old key for long (the rotation's sweep catches
// the few it wrote meanwhile).
const ACTIVE_RECHECK_MS = 2000;

export async function createVault(opts: VaultOptions): Promise<Vault> {
  const { db, sql, cellId } = opts;
  const limit = opts.encryptionLimit ?? DATA_KEY_ENCRYPTION_LIMIT;
  const block = Math.max(1, Math.min(opts.encryptionBlock ?? 1000, limit));
  let ring: MasterKeyring = opts.keyring.load();
  await checkCanary(sql, ring, cellId);
  const digestRoot = ring.digestRoot;
  const opened = new Map<string, Buffer>();
  const first = await ensureActiveDataKey(sql, ring, cellId);
  opened.set(first.id, first.key);
  // `left` may go below zero: a synchronous seal() never waits, its overdraft is reserved next.
  let active = { id: first.id, key: first.key, left: 0, checkedAt: 0 };
  let refilling: Promise<void> | undefined;
  const digestKey = Buffer.from(
    hkdfSync("sha256", digestRoot.key, Buffer.alloc(0), "cellpay request digest", 32),
  );

  function reloadKeyring(): MasterKeyring {
    if (opts.keyring.reloadable) ring = opts.keyring.load();
    return ring;
  }

  async function refill(): Promise<void> {
    // Only the time-based re-check with room left: reserve nothing, just confirm the key is active
    // (reserving a block each time would burn the count of a quiet key).
    const want = active.left > block / 4 ? 0 : block + Math.max(0, -active.left);
    const current = active;
    if (await reserveEncryptions(sql, current.id, want, limit)) {
      current.left += want;
      current.checkedAt = Date.now();
      return;
    }
    // Rotated by another gateway, or the limit: the cell's active key with room (new if needed).
    if (current.left < 0)
      await sql`update data_keys set encryptions = encryptions + ${-current.left} where id = ${current.id}`;
    const next = await activeKeyWithRoom(sql, reloadKeyring(), cellId, block, limit);
    if (next.rotated) {
      opts.log?.warn(
        { data_key_id: current.id, new_data_key_id: next.id, limit },
        "data key reached its encryption limit: new data key active; run `keys rotate-data` to re-encrypt",
      );
    }
    opened.set(next.id, next.key);
    active = { id: next.id, key: next.key, left: block, checkedAt: Date.now() };
  }

  function refillSoon(): Promise<void> {
    refilling ??= refill().finally(() => {
      refilling = undefined;
    });
    return refilling;
  }

  const needsRefill = () => active.left <= block / 4 || Date.now() - active.checkedAt > ACTIVE_RECHECK_MS;

  async function encryptingKey() {
    if (active.left <= 0) await refillSoon();
    else if (needsRefill())
      refillSoon().catch((err) => opts.log?.error({ err: err.message }, "data key reservation failed"));
    active.left--;
    return active;
  }

  function encryptingKeySync() {
    if (needsRefill())
      refillSoon().catch((err) => opts.log?.error({ err: err.message }, "data key reservation failed"));
    active.left--;
    return active;
  }

  async function dataKey(id: string): Promise<Buffer> {
    const cached = opened.get(id);
    if (cached) return cached;
    const [row] = await sql<DataKeyRow[]>`select * from data_keys where id = ${id}`;
    if (!row) throw new Error(`data key ${id} not found`);
    let key: Buffer;
    try {
      key = openRow(ring, cellId, row);
    } catch (err) {
      // Sealed under a master this process has not loaded yet (rotate-master ran on another gateway).
      if (!(err instanceof UnknownMasterKeyError)) throw err;
      key = openRow(reloadKeyring(), cellId, row);
    }
    opened.set(id, key);
    return key;
  }

  const keys = createVaultKeys({
    sql,
    cellId,
    log: opts.log,
    limit,
    keyring: () => reloadKeyring(),
    openKey: dataKey,
    forgetKeys: () => opened.clear(),
    switchNow: async () => {
      active.checkedAt = 0;
      await refillSoon();
    },
    runRotations: opts.runRotations ?? false,
  });

  return {
    fingerprint: (pan) => cardFingerprint(digestRoot, pan),
    digest: (text) => createHmac("sha256", digestKey).update(text).digest("hex"),
    seal: (plaintext, aad) => encryptWithDataKey(encryptingKeySync(), plaintext, aad),
    open: async (ciphertext, aad) =>
      decryptWithDataKey(await dataKey(dataKeyIdOf(ciphertext)), ciphertext, aad),
    keys,
    close: () => keys.close(),

    async tokenize(scope, card) {
      const { partnerId } = scope;
      const id = newId("tok");
      const fingerprint = cardFingerprint(digestRoot, card.pan);
      const secret = JSON.stringify({ pan: card.pan, holder_name: card.holderName ?? null });
      const ciphertext = encryptWithDataKey(await encryptingKey(), secret, `${partnerId}:${id}`);
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
          livemode: scope.livemode,
        })
        .returning({ createdAt: cardTokens.createdAt });
      return {
        id,
        brand: card.brand,
        last4: card.last4,
        expMonth: card.expMonth,
        expYear: card.expYear,
        fingerprint,
        livemode: scope.livemode,
        createdAt: row!.createdAt,
      };
    },

    async detokenize(scope, tokenId) {
      const { partnerId } = scope;
      const [row] = await db
        .select()
        .from(cardTokens)
        .where(
          and(
            eq(cardTokens.id, tokenId),
            eq(cardTokens.partnerId, partnerId),
            eq(cardTokens.livemode, scope.livemode),
          ),
        );
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
