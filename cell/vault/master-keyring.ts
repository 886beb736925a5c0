// The master keys a cell process holds, by id: several can be loaded at once so that data keys
// sealed under an old master still open while `keys rotate-master` re-seals them under the new one.
// Sources (exactly one): CELLPAY_MASTER_KEYS_FILE, a keyring file `{"active": id, "keys": {id: b64}}`
// (re-read on demand, so a rotation needs no restart); or the single-key CELLPAY_MASTER_KEY /
// CELLPAY_MASTER_KEY_FILE, loaded as id `m1`.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { loadMasterKey, type MasterKey, masterKeyFrom } from "./envelope.ts";

export interface KeyringMasterKey extends MasterKey {
  /** The id this key had before keyrings (sha256 prefix): names it in legacy `mk1.` blobs. */
  legacyId: string;
}

export interface MasterKeyring {
  /** Seals every new data key and canary. */
  active: KeyringMasterKey;
  byId: ReadonlyMap<string, KeyringMasterKey>;
  /**
   * Root of the keyed digests (card fingerprints, request digests, key-cache signatures). These
   * must stay the same across master rotations and across cells (fingerprints are partner-visible
   * and move with the partner), so they come from one named master (`derive`, default: the first
   * key of the file), which is kept loaded after it stops sealing anything.
   */
  digestRoot: KeyringMasterKey;
}

export interface KeyringSource {
  load(): MasterKeyring;
  /** True when re-reading can bring new keys (a keyring file); false for a fixed env key. */
  reloadable: boolean;
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;
const fileSchema = z.object({
  active: z.string().regex(keyIdPattern),
  derive: z.string().regex(keyIdPattern).optional(),
  keys: z.record(z.string().regex(keyIdPattern), z.string().min(1)),
});

export type KeyringEnv = {
  CELLPAY_MASTER_KEY?: string | undefined;
  CELLPAY_MASTER_KEY_FILE?: string | undefined;
  CELLPAY_MASTER_KEYS_FILE?: string | undefined;
};

/** Where this process's master keys come from; errors name the variable or file, never a key. */
export function keyringSource(env: KeyringEnv): KeyringSource {
  const file = env.CELLPAY_MASTER_KEYS_FILE?.trim();
  if (!file) {
    const single = keyringOf(loadMasterKey(env));
    return { load: () => single, reloadable: false };
  }
  if (env.CELLPAY_MASTER_KEY?.trim() || env.CELLPAY_MASTER_KEY_FILE?.trim()) {
    throw new Error(
      "Set CELLPAY_MASTER_KEYS_FILE or a single master key (CELLPAY_MASTER_KEY[_FILE]), not both.",
    );
  }
  return { load: () => readKeyringFile(file), reloadable: true };
}

export function loadMasterKeyring(env: KeyringEnv): MasterKeyring {
  return keyringSource(env).load();
}

/** A keyring of one key, id `m1` (what CELLPAY_MASTER_KEY means). */
export function keyringOf(master: MasterKey, id = "m1"): MasterKeyring {
  const key: KeyringMasterKey = { id, key: master.key, legacyId: masterKeyFrom(master.key).id };
  return { active: key, byId: new Map([[id, key]]), digestRoot: key };
}

export function parseKeyring(json: string, source = "the master keyring"): MasterKeyring {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error(`${source} is not JSON: expected {"active": id, "keys": {id: base64}}.`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
    throw new Error(`${source} is invalid at ${what}: expected {"active": id, "keys": {id: base64}}.`);
  }
  const byId = new Map<string, KeyringMasterKey>();
  for (const [id, encoded] of Object.entries(parsed.data.keys)) {
    const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) ? Buffer.from(encoded, "base64") : undefined;
    if (key?.length !== 32) throw new Error(`Master key '${id}' in ${source} must be 32 bytes in base64.`);
    byId.set(id, { id, key, legacyId: masterKeyFrom(key).id });
  }
  const active = byId.get(parsed.data.active);
  if (!active) throw new Error(`${source} names active key '${parsed.data.active}', which it does not hold.`);
  const deriveId = parsed.data.derive ?? Object.keys(parsed.data.keys)[0]!;
  const digestRoot = byId.get(deriveId);
  if (!digestRoot) throw new Error(`${source} names derive key '${deriveId}', which it does not hold.`);
  return { active, byId, digestRoot };
}

function readKeyringFile(file: string): MasterKeyring {
  const source = `the keyring file named by CELLPAY_MASTER_KEYS_FILE (${file})`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`Cannot read ${source}.`, { cause: err });
  }
  return parseKeyring(text, source);
}

/** The key a sealed blob names: by keyring id, or for legacy blobs by the old sha256 id. */
export function findMaster(ring: MasterKeyring, id: string, legacy = false): KeyringMasterKey | undefined {
  if (!legacy) return ring.byId.get(id);
  for (const k of ring.byId.values()) if (k.legacyId === id) return k;
  return undefined;
}
