// Secrets of the local platform, generated once under .data/ (mode 0600): the master key, the
// control plane's bootstrap token (it only creates the first admin: launcher-admin-token.ts) and
// the internal token between control plane, routers and cells. Production
// takes them from its secret store through the same environment variables.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";

async function ensureFile(path: string, make: () => string): Promise<string> {
  if (!existsSync(path)) await writeFile(path, `${make()}\n`, { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
  return (await readFile(path, "utf8")).trim();
}

export interface LocalSecrets {
  masterKeyFile: string;
  bootstrapToken: string;
  internalToken: string;
}

export async function ensureLocalSecrets(dataRoot: string): Promise<LocalSecrets> {
  const masterKeyFile = process.env.CELLPAY_MASTER_KEY_FILE ?? join(dataRoot, "master.key");
  if (!process.env.CELLPAY_MASTER_KEY_FILE) await ensureFile(masterKeyFile, generateMasterKeyBase64);
  const bootstrapToken =
    process.env.CELLPAY_BOOTSTRAP_TOKEN ??
    (await ensureFile(
      join(dataRoot, "bootstrap-token"),
      () => `adm_${randomBytes(32).toString("base64url")}`,
    ));
  const internalToken =
    process.env.CELLPAY_INTERNAL_TOKEN ??
    (await ensureFile(join(dataRoot, "internal-token"), () => randomBytes(32).toString("base64url")));
  return { masterKeyFile, bootstrapToken, internalToken };
}
