// The `data_keys` table of a cell: the one active key per cell, new keys, the encryption count
// each key has reserved, and re-sealing rows under the keyring's active master for this cell.
import type { TransactionSql as Tx } from "postgres";
import { newId } from "../../shared/ids.ts";
import type { Sql } from "../db/client.ts";
import { keyCheckValue, openForCell, sealForCell } from "./cell-kek.ts";
import { newDataKey } from "./envelope.ts";
import type { MasterKeyring } from "./master-keyring.ts";

/**
 * Cryptoperiod of a data key (README "Keys"): 90 days or 2^31 encryptions, whichever first. 2^31 is
 * half the 2^32 that random 96-bit GCM nonces allow under one key (NIST SP 800-38D 8.3), so blocks
 * reserved by crashed gateways and never used cannot push a key over the real limit.
 */
export const DATA_KEY_ENCRYPTION_LIMIT = 2 ** 31;
export const DATA_KEY_MAX_AGE_DAYS = 90;

// Any fixed 64-bit number works; it only has to be the same for every gateway of the cell.
const DATA_KEY_LOCK = 0x63656c6c_7061_79n;

export interface DataKeyRow {
  id: string;
  sealed_key: string;
  master_key_id: string;
  cell_id: string | null;
  state: "active" | "decrypt_only" | "retired";
  encryptions: string;
  created_at: Date;
}

export const lockDataKeys = (tx: Tx) => tx`select pg_advisory_xact_lock(${DATA_KEY_LOCK.toString()}::bigint)`;

/** Opens a row: rows moved in from another cell are still sealed for that cell. */
export function openRow(
  ring: MasterKeyring,
  cellId: string,
  row: Pick<DataKeyRow, "id" | "sealed_key" | "cell_id">,
) {
  return openForCell(ring, row.cell_id ?? cellId, row.id, row.sealed_key);
}

/** Inserts a new active key for this cell, demoting the current one (call under lockDataKeys). */
export async function insertActiveKey(tx: Tx, ring: MasterKeyring, cellId: string) {
  const id = newId("dk");
  const key = newDataKey();
  await tx`update data_keys set state = 'decrypt_only' where cell_id = ${cellId} and state = 'active'`;
  await tx`
    insert into data_keys (id, sealed_key, master_key_id, cell_id, state, key_check)
    values (${id}, ${sealForCell(ring, cellId, id, key)}, ${ring.active.id}, ${cellId}, 'active', ${keyCheckValue(key)})`;
  return { id, key };
}

/**
 * This cell's active key, created if it has none. Legacy rows (sealed by the raw master, before
 * per-cell KEKs) are re-sealed for this cell first: the newest stays active, the rest decrypt only.
 */
export async function ensureActiveDataKey(sql: Sql, ring: MasterKeyring, cellId: string) {
  return (await sql.begin(async (tx) => {
    await lockDataKeys(tx);
    const legacy = await tx<DataKeyRow[]>`
      select * from data_keys where cell_id is null order by created_at desc`;
    const hasActive =
      (await tx`select 1 from data_keys where cell_id = ${cellId} and state = 'active'`).length > 0;
    for (const [i, row] of legacy.entries()) {
      const key = openRow(ring, cellId, row);
      const state = i === 0 && !hasActive && row.state === "active" ? "active" : "decrypt_only";
      await tx`
        update data_keys set sealed_key = ${sealForCell(ring, cellId, row.id, key)}, cell_id = ${cellId},
          master_key_id = ${ring.active.id}, key_check = ${keyCheckValue(key)},
          state = ${row.state === "retired" ? "retired" : state}
        where id = ${row.id}`;
    }
    const [row] = await tx<DataKeyRow[]>`
      select * from data_keys where cell_id = ${cellId} and state = 'active'
      order by created_at desc limit 1`;
    if (row) return { id: row.id, key: openRow(ring, cellId, row) };
    return insertActiveKey(tx, ring, cellId);
  })) as { id: string; key: Buffer };
}

/**
 * Reserves `n` encryptions under key `id`: false when the key is no longer this cell's active key
 * or the block would pass the limit (then the caller switches keys).
 */
export async function reserveEncryptions(sql: Sql, id: string, n: number, limit: number): Promise<boolean> {
  const rows = await sql`
    update data_keys set encryptions = encryptions + ${n}
    where id = ${id} and state = 'active' and encryptions + ${n} <= ${limit} returning id`;
  return rows.length > 0;
}

/**
 * The active key to encrypt with now: this cell's active key if it still has room for a block,
 * else a new one (the old one turns decrypt-only; `keys rotate-data` re-encrypts away from it).
 */
export async function activeKeyWithRoom(
  sql: Sql,
  ring: MasterKeyring,
  cellId: string,
  block: number,
  limit: number,
) {
  return (await sql.begin(async (tx) => {
    await lockDataKeys(tx);
    const [row] = await tx<DataKeyRow[]>`
      select * from data_keys where cell_id = ${cellId} and state = 'active'
      order by created_at desc limit 1`;
    if (row && Number(row.encryptions) + block <= limit) {
      await tx`update data_keys set encryptions = encryptions + ${block} where id = ${row.id}`;
      return { id: row.id, key: openRow(ring, cellId, row), rotated: false };
    }
    const created = await insertActiveKey(tx, ring, cellId);
    await tx`update data_keys set encryptions = ${block} where id = ${created.id}`;
    return { ...created, rotated: true };
  })) as { id: string; key: Buffer; rotated: boolean };
}

/**
 * Re-seals every data key not yet sealed for this cell under the active master (and the moved-in
 * keys of other cells, which become this cell's: decrypt only). Rows are few (one per rotation), so
 * this runs in one transaction; `onProgress` reports each row.
 */
export async function resealDataKeys(
  sql: Sql,
  ring: MasterKeyring,
  cellId: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ resealed: number; total: number }> {
  return (await sql.begin(async (tx) => {
    await lockDataKeys(tx);
    const rows = await tx<DataKeyRow[]>`select * from data_keys order by created_at`;
    const todo = rows.filter(
      (r) => r.cell_id !== cellId || r.master_key_id !== ring.active.id || !r.sealed_key.startsWith("kek1."),
    );
    for (const [i, row] of todo.entries()) {
      const key = openRow(ring, cellId, row);
      const foreignActive = row.cell_id !== cellId && row.state === "active";
      await tx`
        update data_keys set sealed_key = ${sealForCell(ring, cellId, row.id, key)}, cell_id = ${cellId},
          master_key_id = ${ring.active.id}, key_check = ${keyCheckValue(key)},
          state = ${foreignActive ? "decrypt_only" : row.state}
        where id = ${row.id}`;
      onProgress?.(i + 1, todo.length);
    }
    return { resealed: todo.length, total: rows.length };
  })) as { resealed: number; total: number };
}
