// /internal/v1/keys: the cell's key management, driven by the control plane (`npm run admin --
// keys …`). Self-contained: the vault does the work (cell/vault/vault-keys.ts).
import type { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";

export function registerInternalKeys(app: Hono<AppEnv>) {
  /** Data keys (state, master, encryption count, cryptoperiod) and the latest data-key rotation. */
  app.get("/keys", async (c) => c.json(await c.get("deps").vault.keys.status()));

  /** Re-reads the keyring and re-seals every data key and the canary under its active master. */
  app.post("/keys/rotate-master", async (c) => c.json(await c.get("deps").vault.keys.rotateMaster()));

  /** A new active data key now; old ciphertexts re-encrypted in the background (GET /keys shows progress). */
  app.post("/keys/rotate-data", async (c) => c.json(await c.get("deps").vault.keys.rotateData(), 202));

  /** Deletes retired data keys no ciphertext references (the last step of a data-key rotation). */
  app.post("/keys/destroy-retired", async (c) => c.json(await c.get("deps").vault.keys.destroyRetired()));
}
