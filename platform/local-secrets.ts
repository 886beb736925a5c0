// Secrets of the local platform, generated once under .data/ (mode 0600): the master key, the
// control plane's bootstrap token (it only creates the first admin: launcher-admin-token.ts), and
// one credential per internal audience: cell-admin (control plane → cells' internal API),
// routing-table read (routers → control plane), metrics scrape (scrapers → every /metrics), and
// the Ed25519 key that signs move capabilities (private: control plane; public: gateways). Each
// process is given only the ones it needs (platform/start.ts). Production takes them from its
// secret store through the same environment variables.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateMasterKeyBase64 } from "../cell/vault/envelope.ts";
import { generateMoveKeyPair, verifyKeyOf } from "../shared/cell-api/move-capability.ts";

async function ensureFile(path: string, make: () => string): Promise<string> {
  if (!existsSync(path)) await writeFile(path, `${make()}\n`, { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
  return (await readFile(path, "utf8")).trim();
}

export interface LocalSecrets {
  masterKeyFile: string;
  bootstrapToken: string;
  cellAdminToken: string;
  routerTableToken: string;
  metricsToken: string;
  moveSigningKey: string;
  moveVerifyKey: string;
}

const token = () => randomBytes(32).toString("base64url");

export async function ensureLocalSecrets(dataRoot: string): Promise<LocalSecrets> {
  const masterKeyFile = process.env.CELLPAY_MASTER_KEY_FILE ?? join(dataRoot, "master.key");
  if (!process.env.CELLPAY_MASTER_KEY_FILE) await ensureFile(masterKeyFile, generateMasterKeyBase64);
  const bootstrapToken =
    process.env.CELLPAY_BOOTSTRAP_TOKEN ??
    (await ensureFile(
      join(dataRoot, "bootstrap-token"),
      () => `adm_${randomBytes(32).toString("base64url")}`,
    ));
  const own = (env: string, file: string, make: () => string) =>
    process.env[env] ?? ensureFile(join(dataRoot, file), make);
  const cellAdminToken = await own("CELLPAY_CELL_ADMIN_TOKEN", "cell-admin-token", token);
  const routerTableToken = await own("CELLPAY_ROUTER_TABLE_TOKEN", "router-table-token", token);
  const metricsToken = await own("CELLPAY_METRICS_TOKEN", "metrics-token", token);
  const moveSigningKey = await own(
    "CELLPAY_MOVE_SIGNING_KEY",
    "move-signing-key",
    () => generateMoveKeyPair().signingKey,
  );
  return {
    masterKeyFile,
    bootstrapToken,
    cellAdminToken,
    routerTableToken,
    metricsToken,
    moveSigningKey,
    moveVerifyKey: verifyKeyOf(moveSigningKey),
  };
}
