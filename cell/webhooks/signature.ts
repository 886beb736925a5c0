// Webhook signatures, in the shape partners know from the best-known gateways:
//   Cellpay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=<previous secret>]
// The timestamp is inside the signed text, so an attacker who captured one delivery cannot replay
// it later: the receiver rejects timestamps outside its tolerance.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "Cellpay-Signature";
export const DEFAULT_TOLERANCE_SEC = 300;

const hmacHex = (secret: string, text: string) => createHmac("sha256", secret).update(text).digest("hex");

/**
 * The header value for `rawBody`, signed with each of `secrets` (the current secret first; during a
 * secret roll's overlap the previous one too, so receivers can switch secrets without a gap).
 */
export function signPayload(rawBody: string, secrets: readonly string[], now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  const signed = `${t}.${rawBody}`;
  return [`t=${t}`, ...secrets.map((s) => `v1=${hmacHex(s, signed)}`)].join(",");
}

export interface ParsedSignature {
  timestamp: number;
  v1: string[];
}

export function parseSignatureHeader(header: string): ParsedSignature | undefined {
  let timestamp: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) v1.push(value);
  }
  return timestamp === undefined || v1.length === 0 ? undefined : { timestamp, v1 };
}

/**
 * True when one of the header's v1 signatures is `secret`'s HMAC of "<t>.<rawBody>" and t is within
 * `toleranceSec` of `now`. Compares in constant time, so the check leaks nothing about the expected MAC.
 */
export function verifySignature(
  rawBody: string | Buffer,
  header: string,
  secret: string,
  toleranceSec: number = DEFAULT_TOLERANCE_SEC,
  now: Date = new Date(),
): boolean {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(now.getTime() / 1000 - parsed.timestamp) > toleranceSec) return false;
  const body = typeof rawBody === "string" ? rawBody : rawBody.toString("utf8");
  const expected = Buffer.from(hmacHex(secret, `${parsed.timestamp}.${body}`), "hex");
  let match = false;
  // Check every candidate (no early exit), so the time taken does not say which one matched.
  for (const candidate of parsed.v1) {
    if (timingSafeEqual(Buffer.from(candidate, "hex"), expected)) match = true;
  }
  return match;
}
