// Ed25519 signatures on the routing table and its deltas. The control plane signs with the private
// key only it holds; routers verify with the public key from their configuration before applying
// or saving anything, so whoever can publish on NATS, or write the snapshot file, cannot point a
// partner anywhere. What is signed is a domain label (a delta cannot pass for a table) and the
// canonical JSON (keys sorted) of the object without its `signature` field.

import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { canonicalJson } from "../canonical-json.ts";

export type RoutingDocumentKind = "table" | "delta";

const domain = (kind: RoutingDocumentKind) => `cellpay.routing.${kind}.v1\n`;

const signedBytes = (kind: RoutingDocumentKind, doc: Record<string, unknown>) => {
  const { signature: _ignored, ...content } = doc;
  return Buffer.from(domain(kind) + canonicalJson(content));
};

/** The document with its `signature` (base64). */
export function signRoutingDocument<T extends object>(
  kind: RoutingDocumentKind,
  doc: T,
  privateKey: KeyObject,
): T & { signature: string } {
  const signature = sign(null, signedBytes(kind, doc as Record<string, unknown>), privateKey).toString(
    "base64",
  );
  return { ...doc, signature };
}

/** Whether `raw` (parsed JSON, before any schema defaults) carries a valid signature of `kind`. */
export function routingSignatureValid(
  kind: RoutingDocumentKind,
  raw: unknown,
  publicKey: KeyObject,
): boolean {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return false;
  const signature = (raw as { signature?: unknown }).signature;
  if (typeof signature !== "string" || signature.length === 0) return false;
  try {
    return verify(
      null,
      signedBytes(kind, raw as Record<string, unknown>),
      publicKey,
      Buffer.from(signature, "base64"),
    );
  } catch {
    return false;
  }
}

/** A public key from configuration: PEM text, or base64 of the DER (SPKI) on one line. */
export function parseRoutingPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.startsWith("-----BEGIN")
    ? createPublicKey(trimmed)
    : createPublicKey({ key: Buffer.from(trimmed, "base64"), format: "der", type: "spki" });
  if (key.asymmetricKeyType !== "ed25519") throw new Error("the routing public key must be an Ed25519 key");
  return key;
}

/** The one-line form of a public key (base64 DER), as routers take it in ROUTING_PUBLIC_KEY. */
export function routingPublicKeyText(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ type: "spki", format: "der" }).toString("base64");
}

/** A private key from its PEM (PKCS#8) text. */
export function parseRoutingPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error("the routing signing key must be an Ed25519 key");
  return key;
}
