// Each cell's own key-encryption key (KEK): HKDF-SHA256 of a master key with the cell id in the
// info, so a data key sealed for one cell does not open with another cell's KEK, and a database
// restored into the wrong cell (or under the wrong master) fails its canary at start.
// Sealed form: `kek1.<masterId>.<iv>.<tag>.<ct>`; the AAD binds cell id, master id and data key id,
// so a sealed value copied onto another data key's row, or into another cell, does not open.
import { createHmac, hkdfSync } from "node:crypto";
import { open, seal } from "./envelope.ts";
import { findMaster, type KeyringMasterKey, type MasterKeyring } from "./master-keyring.ts";

const kekCache = new WeakMap<Buffer, Map<string, Buffer>>();

export function cellKek(master: KeyringMasterKey, cellId: string): Buffer {
  let perCell = kekCache.get(master.key);
  if (!perCell) {
    perCell = new Map();
    kekCache.set(master.key, perCell);
  }
  let kek = perCell.get(cellId);
  if (!kek) {
    kek = Buffer.from(hkdfSync("sha256", master.key, "cellpay kek v1", `cellpay cell kek v1|${cellId}`, 32));
    perCell.set(cellId, kek);
  }
  return kek;
}

const aadOf = (cellId: string, masterId: string, name: string) =>
  JSON.stringify(["kek1", cellId, masterId, name]);

/** Seals `secret` (a data key, the canary) for `cellId` under the keyring's active master. */
export function sealForCell(ring: MasterKeyring, cellId: string, name: string, secret: Buffer): string {
  const m = ring.active;
  return `kek1.${m.id}.${seal(cellKek(m, cellId), secret, aadOf(cellId, m.id, name))}`;
}

export class UnknownMasterKeyError extends Error {
  constructor(readonly masterId: string) {
    super(`sealed under master key '${masterId}', which this process has not loaded`);
  }
}

/** The master id a sealed value names (`kek1.` or legacy `mk1.`). */
export function masterIdOf(sealed: string): string {
  return sealed.split(".")[1] ?? "";
}

/**
 * Opens a value sealed by sealForCell for `cellId`; also legacy `mk1.` blobs (sealed by the raw
 * master before per-cell KEKs), which rotate-master re-seals into `kek1.`.
 */
export function openForCell(ring: MasterKeyring, cellId: string, name: string, sealed: string): Buffer {
  const parts = sealed.split(".");
  if (parts.length !== 5 || (parts[0] !== "kek1" && parts[0] !== "mk1")) throw new Error("Not a sealed key.");
  const legacy = parts[0] === "mk1";
  const master = findMaster(ring, parts[1]!, legacy);
  if (!master) throw new UnknownMasterKeyError(parts[1]!);
  if (legacy) return open(master.key, parts.slice(2), `mk1.${master.legacyId}`);
  return open(cellKek(master, cellId), parts.slice(2), aadOf(cellId, master.id, name));
}

/**
 * Key check value: the same for one data key in every cell (unlike its sealed form), so a move's
 * import can tell "the same key, sealed for me" from "another key under a known id".
 */
export function keyCheckValue(dataKey: Buffer): string {
  return createHmac("sha256", dataKey).update("cellpay data key check v1").digest("hex").slice(0, 16);
}
