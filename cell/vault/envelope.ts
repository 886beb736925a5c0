// Envelope encryption for card numbers: each PAN is sealed with a data key (AES-256-GCM), and
// data keys are stored sealed by the master key, so rotating the master re-seals keys, not cards.
// Every ciphertext names the key that made it, so old data stays readable across rotations.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

export interface MasterKey {
  /** First 12 hex chars of sha256(key): names the key in sealed data without revealing it. */
  id: string;
  key: Buffer;
}

const keyBytes = 32;
// The GCM standard nonce, random per message: with random 96-bit nonces NIST SP 800-38D allows at
// most 2^32 encryptions under one key, so data keys count theirs (vault/data-key-store.ts).
const ivBytes = 12;
const tagBytes = 16;

/**
 * Reads the 32-byte base64 master key from CELLPAY_MASTER_KEY or from the file named by
 * CELLPAY_MASTER_KEY_FILE (for mounted secrets). Errors name the variable, never the key.
 */
export function loadMasterKey(env: {
  CELLPAY_MASTER_KEY?: string;
  CELLPAY_MASTER_KEY_FILE?: string;
}): MasterKey {
  const inline = env.CELLPAY_MASTER_KEY?.trim();
  const file = env.CELLPAY_MASTER_KEY_FILE?.trim();
  if (inline && file) {
    throw new Error("Set only one of CELLPAY_MASTER_KEY and CELLPAY_MASTER_KEY_FILE, not both.");
  }
  let encoded: string;
  let source: string;
  if (inline) {
    encoded = inline;
    source = "CELLPAY_MASTER_KEY";
  } else if (file) {
    source = `the file named by CELLPAY_MASTER_KEY_FILE (${file})`;
    try {
      encoded = readFileSync(file, "utf8").trim();
    } catch (err) {
      throw new Error(`Cannot read ${source}.`, { cause: err });
    }
  } else {
    throw new Error(
      "No master key: set CELLPAY_MASTER_KEY to 32 random bytes in base64 " +
        "(e.g. `openssl rand -base64 32`) or CELLPAY_MASTER_KEY_FILE to a file holding it.",
    );
  }
  // Buffer.from(…, "base64") silently skips bad characters, so check the alphabet first.
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) ? Buffer.from(encoded, "base64") : undefined;
  if (key?.length !== keyBytes) {
    throw new Error(`The master key in ${source} must be ${keyBytes} bytes encoded in base64.`);
  }
  return masterKeyFrom(key);
}

export function masterKeyFrom(key: Buffer): MasterKey {
  if (key.length !== keyBytes) throw new Error(`A master key is ${keyBytes} bytes.`);
  return { id: createHash("sha256").update(key).digest("hex").slice(0, 12), key };
}

export function generateMasterKeyBase64(): string {
  return randomBytes(keyBytes).toString("base64");
}

export function newDataKey(): Buffer {
  return randomBytes(keyBytes);
}

/** `mk1.<masterId>.<iv>.<tag>.<ct>`: the data key sealed by the master key. */
export function sealDataKey(master: MasterKey, dataKey: Buffer): string {
  if (dataKey.length !== keyBytes) throw new Error(`A data key is ${keyBytes} bytes.`);
  const sealed = seal(master.key, dataKey, `mk1.${master.id}`);
  return `mk1.${master.id}.${sealed}`;
}

export function openDataKey(master: MasterKey, sealed: string): Buffer {
  const parts = sealed.split(".");
  if (parts.length !== 5 || parts[0] !== "mk1") throw new Error("Not a sealed data key.");
  if (parts[1] !== master.id) {
    throw new Error(`This data key was sealed by master key ${parts[1]}, not ${master.id}.`);
  }
  return open(master.key, parts.slice(2), `mk1.${master.id}`);
}

/**
 * `v1.<dataKeyId>.<iv>.<tag>.<ct>`. `aad` (the partner id) is authenticated but not stored:
 * a ciphertext copied to another partner's row does not decrypt there.
 */
export function encryptWithDataKey(
  dataKey: { id: string; key: Buffer },
  plaintext: string,
  aad: string,
): string {
  if (!/^[\w-]+$/.test(dataKey.id)) throw new Error("A data key id is letters, digits, '_' or '-'.");
  const sealed = seal(dataKey.key, Buffer.from(plaintext, "utf8"), pansAad(dataKey.id, aad));
  return `v1.${dataKey.id}.${sealed}`;
}

/** Which data key to load (and open) before decrypting. */
export function dataKeyIdOf(ciphertext: string): string {
  return parseCiphertext(ciphertext).dataKeyId;
}

export function decryptWithDataKey(key: Buffer, ciphertext: string, aad: string): string {
  const { dataKeyId, parts } = parseCiphertext(ciphertext);
  return open(key, parts, pansAad(dataKeyId, aad)).toString("utf8");
}

/**
 * A 32-byte key for one purpose, derived from the master key (HKDF-SHA256, `label` as info): no
 * new secret to distribute, and a key derived for one purpose says nothing about another.
 */
export function deriveSubkey(master: MasterKey, label: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master.key, Buffer.alloc(0), label, keyBytes));
}

/** HMAC key of the API-key records cached in Redis (partners/key-lookup.ts): Redis never sees it. */
export const KEY_CACHE_SIGNING_LABEL = "cellpay api key cache signing v1";

/** Same PAN, same fingerprint (to spot one card used across tokens); keyed, so not reversible by brute force over PANs. */
// HKDF once per master key, not once per payment (it showed in the gateway's CPU profile).
const fingerprintKeys = new WeakMap<MasterKey, Buffer>();

export function cardFingerprint(master: MasterKey, pan: string): string {
  let fingerprintKey = fingerprintKeys.get(master);
  if (!fingerprintKey) {
    fingerprintKey = Buffer.from(
      hkdfSync("sha256", master.key, Buffer.alloc(0), "cellpay card fingerprint", 32),
    );
    fingerprintKeys.set(master, fingerprintKey);
  }
  return createHmac("sha256", fingerprintKey).update(pan).digest("hex").slice(0, 24);
}

// The data key id is bound too, so relabelling a ciphertext with another key id fails.
// JSON keeps the two fields unambiguous whatever characters the partner id holds.
function pansAad(dataKeyId: string, aad: string): string {
  return JSON.stringify(["v1", dataKeyId, aad]);
}

function parseCiphertext(ciphertext: string): { dataKeyId: string; parts: string[] } {
  const parts = ciphertext.split(".");
  if (parts.length !== 5 || parts[0] !== "v1" || !parts[1]) throw new Error("Not a cellpay ciphertext.");
  return { dataKeyId: parts[1], parts: parts.slice(2) };
}

/** `<iv>.<tag>.<ct>` in base64url (AES-256-GCM, random 96-bit nonce). */
export function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, cipher.getAuthTag(), ct].map((b) => b.toString("base64url")).join(".");
}

export function open(key: Buffer, [iv, tag, ct]: string[], aad: string): Buffer {
  if (iv === undefined || tag === undefined || ct === undefined) throw new Error("Malformed ciphertext.");
  const ivBuf = Buffer.from(iv, "base64url");
  const tagBuf = Buffer.from(tag, "base64url");
  // A short tag would weaken GCM's check, so only the full 16 bytes are accepted.
  if (ivBuf.length !== ivBytes || tagBuf.length !== tagBytes) throw new Error("Malformed ciphertext.");
  const decipher = createDecipheriv("aes-256-gcm", key, ivBuf, { authTagLength: tagBytes });
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(tagBuf);
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]);
  } catch (err) {
    throw new Error("Decryption failed: wrong key, wrong aad, or tampered ciphertext.", { cause: err });
  }
}
