import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  cardFingerprint,
  dataKeyIdOf,
  decryptWithDataKey,
  encryptWithDataKey,
  generateMasterKeyBase64,
  loadMasterKey,
  newDataKey,
  openDataKey,
  sealDataKey,
} from "./envelope.ts";

const pan = "4242424242424242";
const master = loadMasterKey({ CELLPAY_MASTER_KEY: generateMasterKeyBase64() });
const otherMaster = loadMasterKey({ CELLPAY_MASTER_KEY: generateMasterKeyBase64() });

/** Flips one bit of the decoded bytes of the part at `index` of a dot-separated ciphertext. */
function tamper(ciphertext: string, index: number): string {
  const parts = ciphertext.split(".");
  const bytes = Buffer.from(parts[index]!, "base64url");
  bytes[0]! ^= 1;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("loadMasterKey", () => {
  it("reads a base64 key from the environment and names it by a hash prefix", () => {
    const encoded = generateMasterKeyBase64();
    const key = loadMasterKey({ CELLPAY_MASTER_KEY: encoded });
    expect(key.key).toEqual(Buffer.from(encoded, "base64"));
    expect(key.id).toMatch(/^[0-9a-f]{12}$/);
  });
  it("reads a key from a file, ignoring the trailing newline", () => {
    const encoded = generateMasterKeyBase64();
    const file = join(mkdtempSync(join(tmpdir(), "cellpay-mk-")), "master.key");
    writeFileSync(file, `${encoded}\n`);
    expect(loadMasterKey({ CELLPAY_MASTER_KEY_FILE: file }).id).toBe(
      loadMasterKey({ CELLPAY_MASTER_KEY: encoded }).id,
    );
  });
  it("explains a missing key", () => {
    expect(() => loadMasterKey({})).toThrow(/CELLPAY_MASTER_KEY/);
  });
  it("refuses both sources at once", () => {
    expect(() => loadMasterKey({ CELLPAY_MASTER_KEY: "a", CELLPAY_MASTER_KEY_FILE: "/x" })).toThrow(
      /only one/,
    );
  });
  it("refuses a missing file", () => {
    expect(() => loadMasterKey({ CELLPAY_MASTER_KEY_FILE: "/nonexistent/cellpay.key" })).toThrow(
      /Cannot read/,
    );
  });
  it.each([
    ["16 bytes", Buffer.alloc(16, 7).toString("base64")],
    ["33 bytes", Buffer.alloc(33, 7).toString("base64")],
    ["not base64", `${"!".repeat(43)}=`],
  ])("refuses a key of %s without printing it", (_why, encoded) => {
    expect(() => loadMasterKey({ CELLPAY_MASTER_KEY: encoded })).toThrow(/32 bytes/);
    try {
      loadMasterKey({ CELLPAY_MASTER_KEY: encoded });
    } catch (err) {
      expect((err as Error).message).not.toContain(encoded);
    }
  });
});

describe("data keys", () => {
  it("seal and open round-trip, and the sealed form names the master key", () => {
    const dataKey = newDataKey();
    expect(dataKey.length).toBe(32);
    const sealed = sealDataKey(master, dataKey);
    expect(sealed.startsWith(`mk1.${master.id}.`)).toBe(true);
    expect(openDataKey(master, sealed)).toEqual(dataKey);
  });
  it("the wrong master key cannot open a data key", () => {
    const sealed = sealDataKey(master, newDataKey());
    expect(() => openDataKey(otherMaster, sealed)).toThrow();
    // Even with the id relabelled to match, the GCM check refuses it.
    const relabelled = sealed.replace(master.id, otherMaster.id);
    expect(() => openDataKey(otherMaster, relabelled)).toThrow(/Decryption failed/);
  });
  it.each([2, 3, 4])("a flipped bit in part %i is detected", (index) => {
    const sealed = sealDataKey(master, newDataKey());
    expect(() => openDataKey(master, tamper(sealed, index))).toThrow();
  });
});

describe("PAN encryption", () => {
  const dataKey = { id: "dk_0abc", key: newDataKey() };

  it("round-trips and records the data key id", () => {
    const ct = encryptWithDataKey(dataKey, pan, "ptr_1");
    expect(dataKeyIdOf(ct)).toBe("dk_0abc");
    expect(decryptWithDataKey(dataKey.key, ct, "ptr_1")).toBe(pan);
  });
  it("the ciphertext contains neither the PAN nor its plain encoding", () => {
    const ct = encryptWithDataKey(dataKey, pan, "ptr_1");
    expect(ct).not.toContain(pan);
    expect(ct).not.toContain(Buffer.from(pan).toString("base64url"));
  });
  it("uses a fresh IV: the same PAN encrypts differently each time", () => {
    const a = encryptWithDataKey(dataKey, pan, "ptr_1");
    const b = encryptWithDataKey(dataKey, pan, "ptr_1");
    expect(a).not.toBe(b);
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
  });
  it("another partner's aad cannot decrypt it", () => {
    const ct = encryptWithDataKey(dataKey, pan, "ptr_1");
    expect(() => decryptWithDataKey(dataKey.key, ct, "ptr_2")).toThrow(/Decryption failed/);
  });
  it("another data key cannot decrypt it", () => {
    const ct = encryptWithDataKey(dataKey, pan, "ptr_1");
    expect(() => decryptWithDataKey(newDataKey(), ct, "ptr_1")).toThrow(/Decryption failed/);
  });
  it("relabelling the data key id is detected", () => {
    const ct = encryptWithDataKey(dataKey, pan, "ptr_1").replace("dk_0abc", "dk_0abd");
    expect(() => decryptWithDataKey(dataKey.key, ct, "ptr_1")).toThrow(/Decryption failed/);
  });
  it.each([2, 3, 4])("a flipped bit in part %i is detected", (index) => {
    const ct = encryptWithDataKey(dataKey, pan, "ptr_1");
    expect(() => decryptWithDataKey(dataKey.key, tamper(ct, index), "ptr_1")).toThrow();
  });
  it("refuses garbage", () => {
    expect(() => dataKeyIdOf("hello")).toThrow(/Not a cellpay ciphertext/);
    expect(() => decryptWithDataKey(dataKey.key, "v1.dk.a.b.c", "ptr_1")).toThrow(/Malformed/);
  });
});

describe("cardFingerprint", () => {
  it("is stable for a PAN and differs between PANs", () => {
    const a = cardFingerprint(master, pan);
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(cardFingerprint(master, pan)).toBe(a);
    expect(cardFingerprint(master, "5555555555554444")).not.toBe(a);
  });
  it("depends on the master key, and is not a plain hash of the PAN", () => {
    expect(cardFingerprint(otherMaster, pan)).not.toBe(cardFingerprint(master, pan));
    expect(cardFingerprint(master, pan)).not.toContain(pan);
  });
});
