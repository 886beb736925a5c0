// The control plane's Ed25519 routing key: the private half signs every routing table and delta
// (routing-signature.ts), the public half is what routers are configured with. The private key
// lives in one 0600 PEM file that only the control plane reads; the launcher makes it once.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseRoutingPrivateKey, routingPublicKeyText } from "../../shared/routing/routing-signature.ts";

export interface RoutingSigningKey {
  privateKey: KeyObject;
  /** base64 DER (SPKI): the value of the routers' ROUTING_PUBLIC_KEY. */
  publicKey: string;
}

/** Reads the key the control plane signs with; a missing or wrong file stops the start. */
export function loadRoutingSigningKey(file: string): RoutingSigningKey {
  const privateKey = parseRoutingPrivateKey(readFileSync(file, "utf8"));
  return { privateKey, publicKey: routingPublicKeyText(privateKey) };
}

/** The launcher's: makes the key file (0600) the first time, then reads it. */
export async function ensureRoutingSigningKey(file: string): Promise<RoutingSigningKey> {
  if (!existsSync(file)) {
    await mkdir(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await writeFile(file, pem, { mode: 0o600, flag: "wx" });
  }
  await chmod(file, 0o600);
  return loadRoutingSigningKey(file);
}
