// The local platform's master key: generated once into .data/master.key (mode 0600). Production
// gives CELLPAY_MASTER_KEY or CELLPAY_MASTER_KEY_FILE from its secret store instead.
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";

export async function ensureLocalMasterKeyFile(path: string): Promise<string> {
  if (process.env.CELLPAY_MASTER_KEY_FILE) return process.env.CELLPAY_MASTER_KEY_FILE;
  if (!existsSync(path)) {
    await writeFile(path, `${generateMasterKeyBase64()}\n`, { mode: 0o600, flag: "wx" });
  }
  await chmod(path, 0o600);
  await readFile(path, "utf8");
  return path;
}
