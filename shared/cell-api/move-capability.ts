// Move capabilities: the control plane's signed permission to export one partner's rows from
// one cell and import them into another, for one move, for a short time. Ed25519: the private key
// lives in the control plane alone; every gateway holds the public key and verifies offline (no
// call back), so neither a stolen cell-admin token nor a compromised cell can mint one.
// Wire form: base64url(JSON claims) "." base64url(signature over the first part).
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { z } from "zod";

export const moveCapabilityClaims = z.object({
  v: z.literal(1),
  move_id: z.string().min(1).max(100),
  partner_id: z.string().min(1).max(100),
  source_cell_id: z.string().min(1).max(100),
  target_cell_id: z.string().min(1).max(100),
  /** Unix seconds. */
  exp: z.number().int(),
});
export type MoveCapabilityClaims = z.infer<typeof moveCapabilityClaims>;

/** What the control plane gives each capability; cells refuse any that lives longer than MAX. */
export const MOVE_CAPABILITY_TTL_S = 120;
export const MOVE_CAPABILITY_MAX_TTL_S = 600;

/** A new key pair, as base64 DER (PKCS#8 private, SPKI public), for the launcher and tests. */
export function generateMoveKeyPair(): { signingKey: string; verifyKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    signingKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    verifyKey: publicKey.export({ format: "der", type: "spki" }).toString("base64"),
  };
}

export const loadSigningKey = (base64: string): KeyObject =>
  createPrivateKey({ key: Buffer.from(base64, "base64"), format: "der", type: "pkcs8" });
export const loadVerifyKey = (base64: string): KeyObject =>
  createPublicKey({ key: Buffer.from(base64, "base64"), format: "der", type: "spki" });
/** The public half of a signing key (the launcher gives it to the cells). */
export const verifyKeyOf = (signingKey: string): string =>
  createPublicKey(loadSigningKey(signingKey)).export({ format: "der", type: "spki" }).toString("base64");

export function signMoveCapability(key: KeyObject, claims: Omit<MoveCapabilityClaims, "v">): string {
  const body = Buffer.from(JSON.stringify({ v: 1, ...claims })).toString("base64url");
  return `${body}.${sign(null, Buffer.from(body), key).toString("base64url")}`;
}

export type CapabilityCheck =
  | { ok: true; claims: MoveCapabilityClaims }
  | { ok: false; reason: "missing" | "malformed" | "bad_signature" | "expired" | "too_long_lived" };

/** Verifies signature and lifetime; the caller checks that the claims fit the request. */
export function verifyMoveCapability(
  key: KeyObject,
  token: string | undefined,
  nowSeconds: number,
): CapabilityCheck {
  if (!token) return { ok: false, reason: "missing" };
  const [body, signature, extra] = token.split(".");
  if (!body || !signature || extra !== undefined || token.length > 4096)
    return { ok: false, reason: "malformed" };
  if (!verify(null, Buffer.from(body), key, Buffer.from(signature, "base64url")))
    return { ok: false, reason: "bad_signature" };
  let parsed: ReturnType<typeof moveCapabilityClaims.safeParse>;
  try {
    parsed = moveCapabilityClaims.safeParse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!parsed.success) return { ok: false, reason: "malformed" };
  if (parsed.data.exp <= nowSeconds) return { ok: false, reason: "expired" };
  if (parsed.data.exp - nowSeconds > MOVE_CAPABILITY_MAX_TTL_S)
    return { ok: false, reason: "too_long_lived" };
  return { ok: true, claims: parsed.data };
}
