// `cells restore`, the platform host's half: a NEW cell built from a dead cell's pgBackRest
// stanza at a point in time. Its Postgres is restored into a fresh folder and started with Redis
// and NATS (the launcher's cell-infra), the master-key canary is adopted for the new id (a wrong
// keyring stops here), the per-partner figures are compared, then its gateways, relay and
// processors start as `npm start` starts them. The result is written to the source stanza's
// status file (`last_restore`). Registering and flipping is the control plane's part.
import { mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createDb } from "../cell/db/client.ts";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import { adoptRestoredCanary } from "../cell/vault/canary.ts";
import { type KeyringEnv, keyringSource } from "../cell/vault/master-keyring.ts";
import { updateBackupStatus } from "./backup-status.ts";
import { type CellInfra, startCellInfra } from "./cell-infra.ts";
import { freePorts } from "./free-port.ts";
import { startGatewayProcess } from "./gateway-process.ts";
import type { ManagedProcess } from "./managed-process.ts";
import { compareFigures, type FiguresCheck, figuresFor, readFigureSets } from "./partner-figures.ts";
import { backupStanza, type RestoreTarget, stanzaInfo } from "./pgbackrest.ts";
import { startWorkerProcess } from "./worker-process.ts";

/** A refusal the responder can act on (bad input, no backup, wrong key): printed, not a stack. */
export class RestoreRefused extends Error {}

export interface RestoreCellOptions {
  sourceCellId: string;
  newCellId: string;
  to: RestoreTarget;
  /** Where every stanza lives (`.data/backups` locally, CELLPAY_BACKUP_DIR). */
  backupRoot: string;
  /** The new cell's folder (postgres/, redis/, nats/, logs/): must not exist yet, or be empty. */
  dataDir: string;
  /** The master keyring the source cell ran with (CELLPAY_MASTER_KEY_FILE or CELLPAY_MASTER_KEYS_FILE). */
  keyring: { masterKeyFile: string } | { masterKeysFile: string };
  /** What the gateways accept from the control plane (the platform's internal credentials). */
  credentials: { cellAdminToken: string; metricsToken: string; moveVerifyKey: string };
  gateways?: number;
  processors?: number;
  /** Free ones when absent. */
  ports?: { postgres: number; redis: number; nats: number; gateways: number[]; internal: number[] };
  /** Compare only these partners' figures (the control plane's partners of the source cell). */
  partnerIds?: string[];
  /** Restored as a drill (no flip follows): recorded as such in `last_restore`. */
  drill: boolean;
  /** More environment for the gateways and workers (rate limits, log level, …). */
  env?: Record<string, string>;
  log?: (msg: string) => void;
}

export interface RestoredCell {
  cellId: string;
  gateways: string[];
  internalGateways: string[];
  postgresUrl: string;
  figures: FiguresCheck;
  durationS: number;
  infra: CellInfra;
  /** Every process of the cell, front to back, then its servers (idempotent). */
  stop(): Promise<void>;
}

// The admin API's cell id rule (control-plane/schemas/common.ts CellIdSchema).
const CELL_ID = /^[a-z][a-z0-9-]{1,30}$/;

async function checkInput(opts: RestoreCellOptions) {
  for (const [name, id] of [
    ["cell", opts.sourceCellId],
    ["--as", opts.newCellId],
  ] as const) {
    if (!CELL_ID.test(id)) throw new RestoreRefused(`${name}: '${id}' is not a cell id (a-z, 0-9, -)`);
  }
  if (opts.sourceCellId === opts.newCellId)
    throw new RestoreRefused("--as must name a NEW cell: a restore never reuses the source's id");
  if (opts.to !== "latest" && opts.to.getTime() > Date.now())
    throw new RestoreRefused(`--to ${opts.to.toISOString()} is in the future`);
  const existing = await readdir(opts.dataDir).catch(() => []);
  if (existing.length > 0)
    throw new RestoreRefused(`${opts.dataDir} is not empty: a restore builds a new cell in a new folder`);
  const stanza = backupStanza(opts.backupRoot, opts.sourceCellId);
  const sets = await stanzaInfo(stanza).then(
    (i) => i.backups,
    () => [],
  );
  if (sets.length === 0)
    throw new RestoreRefused(`no backup of cell '${opts.sourceCellId}' in ${stanza.repoPath}`);
  const oldest = sets[0]!.stoppedAt;
  if (opts.to !== "latest" && opts.to < oldest)
    throw new RestoreRefused(
      `--to ${opts.to.toISOString()} is before the oldest backup (${oldest.toISOString()}): not restorable`,
    );
  return stanza;
}

const keyringEnv = (k: RestoreCellOptions["keyring"]): KeyringEnv & Record<string, string> =>
  "masterKeyFile" in k
    ? { CELLPAY_MASTER_KEY_FILE: k.masterKeyFile }
    : { CELLPAY_MASTER_KEYS_FILE: k.masterKeysFile };

/** The master-key canary: opens as the source cell's, then is sealed again for the new id. */
async function adoptCanary(url: string, opts: RestoreCellOptions): Promise<void> {
  const database = createDb(url, { max: 1, applicationName: `restore-${opts.newCellId}` });
  try {
    await adoptRestoredCanary(
      database.sql,
      keyringSource(keyringEnv(opts.keyring)).load(),
      opts.sourceCellId,
      opts.newCellId,
    );
  } finally {
    await database.end();
  }
}

export async function restoreCell(opts: RestoreCellOptions): Promise<RestoredCell> {
  const began = performance.now();
  const log = opts.log ?? (() => {});
  const dataDir = resolve(opts.dataDir);
  const source = await checkInput({ ...opts, dataDir });
  const gatewayCount = opts.gateways ?? 1;
  const ports = opts.ports ?? (await allocatePorts(gatewayCount));
  await mkdir(dataDir, { recursive: true });
  const infra = await startCellInfra({
    cellId: opts.newCellId,
    dataDir,
    ports: { postgres: ports.postgres, redis: ports.redis, nats: ports.nats },
    restoreFrom: { stanza: source, to: opts.to },
    // The new cell archives into its own stanza from its first write: it is protected at once.
    backups: { root: opts.backupRoot },
    log,
  });
  const processes: ManagedProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const p of processes.reverse()) await p.stop("SIGTERM", 15_000);
      await infra.stop();
    })();
    return stopping;
  };
  try {
    await migrateCellDatabase(infra.postgresUrl);
    await adoptCanary(infra.postgresUrl, opts);
    log("master-key canary opened as the source cell's and sealed again for the new id");
    const figures = await compareFigures(
      infra.postgresUrl,
      figuresFor(await readFigureSets(source.repoPath), opts.to),
      opts.partnerIds,
    );
    const urls = await startServices(opts, infra, ports, gatewayCount, processes);
    const durationS = Math.round((performance.now() - began) / 100) / 10;
    await updateBackupStatus(source.stanza, source.repoPath, (st) => {
      st.last_restore = {
        at: new Date().toISOString(),
        as_cell: opts.newCellId,
        target: opts.to === "latest" ? "latest" : opts.to.toISOString(),
        duration_s: durationS,
        drill: opts.drill,
        figures_match: figures.match,
      };
    });
    return {
      cellId: opts.newCellId,
      ...urls,
      postgresUrl: infra.postgresUrl,
      figures,
      durationS,
      infra,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function allocatePorts(gateways: number) {
  const [postgres, redis, nats, ...rest] = (await freePorts(3 + 2 * gateways)) as number[];
  return {
    postgres: postgres!,
    redis: redis!,
    nats: nats!,
    gateways: rest.slice(0, gateways),
    internal: rest.slice(gateways),
  };
}

/** Gateways, relay and processors with the environment platform/start.ts gives them. */
async function startServices(
  opts: RestoreCellOptions,
  infra: CellInfra,
  ports: NonNullable<RestoreCellOptions["ports"]>,
  gatewayCount: number,
  processes: ManagedProcess[],
) {
  const logs = join(infra.dataDir, "logs");
  const keyring = keyringEnv(opts.keyring);
  const [wakePort, ...metricsPorts] = (await freePorts(2 + (opts.processors ?? 1))) as number[];
  const urls = { gateways: [] as string[], internalGateways: [] as string[] };
  for (let i = 0; i < gatewayCount; i++) {
    const port = ports.gateways[i]!;
    const internalPort = ports.internal[i]!;
    processes.push(
      await startGatewayProcess({
        cellId: opts.newCellId,
        index: i,
        port,
        internalPort,
        databaseUrl: infra.postgresUrl,
        redisUrl: infra.redisUrl,
        masterKeyFile: "masterKeyFile" in opts.keyring ? opts.keyring.masterKeyFile : "",
        credentials: opts.credentials,
        logFile: join(logs, `gateway-${i}.log`),
        env: { ...keyring, OUTBOX_WAKE_ADDRESS: `127.0.0.1:${wakePort}`, ...opts.env },
        readyTimeoutMs: 120_000,
      }),
    );
    urls.gateways.push(`http://127.0.0.1:${port}`);
    urls.internalGateways.push(`http://127.0.0.1:${internalPort}`);
  }
  const workerEnv = (metricsPort: number) => ({
    CELLPAY_CELL_ID: opts.newCellId,
    DATABASE_URL: infra.postgresUrl,
    NATS_URL: infra.natsUrl,
    CELLPAY_METRICS_TOKEN: opts.credentials.metricsToken,
    METRICS_PORT: String(metricsPort),
    ...keyring,
    ...opts.env,
  });
  processes.push(
    await startWorkerProcess({
      name: `${opts.newCellId}-relay`,
      entry: "cell/events/relay/main.ts",
      env: {
        ...workerEnv(metricsPorts[0]!),
        NATS_NKEY_SEED_FILE: infra.natsUsers.relay.seedFile,
        RELAY_WAKE_PORT: String(wakePort),
      },
      logFile: join(logs, "relay.log"),
      readyTimeoutMs: 120_000,
    }),
  );
  for (let i = 0; i < (opts.processors ?? 1); i++) {
    processes.push(
      await startWorkerProcess({
        name: `${opts.newCellId}-processor-${i}`,
        entry: "cell/events/processors/main.ts",
        env: { ...workerEnv(metricsPorts[i + 1]!), NATS_NKEY_SEED_FILE: infra.natsUsers.processor.seedFile },
        logFile: join(logs, `processor-${i}.log`),
        readyTimeoutMs: 120_000,
      }),
    );
  }
  return urls;
}
