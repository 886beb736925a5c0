// The start-up canary: a known value sealed for this cell. A gateway that cannot open it holds the
// wrong master keys (or this database belongs to another cell) and must refuse to start, before it
// seals anything new under keys the rest of the cell cannot read.
import type { Sql } from "../db/client.ts";
import { masterIdOf, openForCell, sealForCell, UnknownMasterKeyError } from "./cell-kek.ts";
import type { MasterKeyring } from "./master-keyring.ts";

const CANARY_ID = "canary";
const canaryValue = (cellId: string) => Buffer.from(`cellpay vault canary v1|${cellId}`, "utf8");

export class MasterKeyMismatchError extends Error {}

function mismatch(cellId: string, sealedUnder: string, ring: MasterKeyring, cause: unknown) {
  const loaded = [...ring.byId.keys()].join(", ");
  const why =
    cause instanceof UnknownMasterKeyError
      ? `it is sealed under master key '${sealedUnder}', which is not loaded (loaded: ${loaded})`
      : `master key '${sealedUnder}' does not open it (wrong key material, or this database is not cell '${cellId}')`;
  return new MasterKeyMismatchError(
    `Refusing to start: the master key check failed for cell '${cellId}': ${why}. ` +
      "Was this cell restored with another master key? Load the right keyring (CELLPAY_MASTER_KEYS_FILE).",
    { cause },
  );
}

/** Verifies the canary (or, on a cell that has none yet, its active data key) and seals one if missing. */
export async function checkCanary(sql: Sql, ring: MasterKeyring, cellId: string): Promise<void> {
  const [row] = await sql<{ sealed: string }[]>`select sealed from vault_canary where id = ${CANARY_ID}`;
  if (row) {
    let opened: Buffer;
    try {
      opened = openForCell(ring, cellId, CANARY_ID, row.sealed);
    } catch (err) {
      throw mismatch(cellId, masterIdOf(row.sealed), ring, err);
    }
    if (!opened.equals(canaryValue(cellId))) throw mismatch(cellId, masterIdOf(row.sealed), ring, undefined);
    return;
  }
  // First start with canaries: the keys already in the table must open before a canary vouches for them.
  const keys = await sql<{ id: string; sealed_key: string; cell_id: string | null }[]>`
    select id, sealed_key, cell_id from data_keys where cell_id = ${cellId} or cell_id is null
    order by created_at desc limit 1`;
  for (const k of keys) {
    try {
      openForCell(ring, k.cell_id ?? cellId, k.id, k.sealed_key);
    } catch (err) {
      throw mismatch(cellId, masterIdOf(k.sealed_key), ring, err);
    }
  }
  await sql`
    insert into vault_canary (id, sealed, master_key_id)
    values (${CANARY_ID}, ${sealForCell(ring, cellId, CANARY_ID, canaryValue(cellId))}, ${ring.active.id})
    on conflict (id) do nothing`;
}

/** Re-seals the canary under the active master (part of rotate-master). */
export async function resealCanary(sql: Sql, ring: MasterKeyring, cellId: string): Promise<void> {
  await sql`
    update vault_canary set sealed = ${sealForCell(ring, cellId, CANARY_ID, canaryValue(cellId))},
      master_key_id = ${ring.active.id}
    where id = ${CANARY_ID}`;
}

/**
 * A cell restored from another cell's backup under a new id: the canary must first open as the
 * source cell's (else the keyring is not the one the backup was sealed under, and the restore
 * stops here with MasterKeyMismatchError); then it is sealed again for the new id.
 */
export async function adoptRestoredCanary(
  sql: Sql,
  ring: MasterKeyring,
  sourceCellId: string,
  newCellId: string,
): Promise<void> {
  await checkCanary(sql, ring, sourceCellId);
  await sql`
    update vault_canary set sealed = ${sealForCell(ring, newCellId, CANARY_ID, canaryValue(newCellId))},
      master_key_id = ${ring.active.id}
    where id = ${CANARY_ID}`;
}
