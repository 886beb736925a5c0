// Secret API keys: `sk_test_<partner id>_<secret>` / `sk_live_…`. The key carries its partner's id
// so the router can route without a lookup; the cell still verifies the whole key. Only a SHA-256
// of the key is stored: the 190-bit random part makes a plain hash as strong as a slow one here.
import { createHash, randomBytes } from "node:crypto";
import { newId } from "../../shared/ids.ts";

export type KeyMode = "test" | "live";

const keyPattern = /^sk_(test|live)_(ptr_[0-9a-z]{24})_([A-Za-z0-9]{32})$/;
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export interface ParsedApiKey {
  mode: KeyMode;
  partnerId: string;
}

export function parseApiKey(secret: string): ParsedApiKey | undefined {
  const m = keyPattern.exec(secret);
  if (!m) return undefined;
  return { mode: m[1] as KeyMode, partnerId: m[2]! };
}

export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export interface NewApiKey {
  id: string;
  secret: string;
  secretHash: string;
  hint: string;
  mode: KeyMode;
}

export function generateApiKey(partnerId: string, mode: KeyMode): NewApiKey {
  const bytes = randomBytes(32);
  let random = "";
  for (let i = 0; i < 32; i++) random += base62[bytes[i]! % 62];
  const secret = `sk_${mode}_${partnerId}_${random}`;
  return { id: newId("key"), secret, secretHash: hashApiKey(secret), hint: random.slice(-4), mode };
}
