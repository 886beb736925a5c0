// `npm start`: the whole platform on this machine.
//   1. the control plane's own Postgres and NATS, and every cell's Postgres, Redis and NATS
//      JetStream (data under .data/), as real processes;
//   2. per cell: migrations, gateway instances, the outbox relay and the core processors;
//   3. the control plane (cells registered with it), then the router instances;
//   4. the demo partner, onboarded through the control plane, and the banner.
// Ctrl-C (SIGINT) or SIGTERM stops every child, front to back; the next start finds the data.
import { mkdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import { ensureRoutingSigningKey } from "../control-plane/routing/routing-signing-key.ts";
import {
  type CellConfig,
  ConfigError,
  cellsFilePath,
  componentUrl,
  loadCellsFile,
  type PlatformConfig,
} from "../shared/config/cells-config.ts";
import { type ScheduledStanza, startBackupScheduler } from "./backup-scheduler.ts";
import { printBanner } from "./banner.ts";
import { type CellInfra, startCellInfra } from "./cell-infra.ts";
import { ensureDemoPartner, registerCell } from "./demo-partner.ts";
import { type DevCertificate, ensureDevCertificate, httpsProbe } from "./dev-certificate.ts";
import { freePort } from "./free-port.ts";
import { startGatewayProcess } from "./gateway-process.ts";
import { type GlobalInfra, startGlobalInfra } from "./global-infra.ts";
import { startHttpServiceProcess } from "./http-service-process.ts";
import { ensureLauncherAdminToken } from "./launcher-admin-token.ts";
import { ensureLocalSecrets, type LocalSecrets } from "./local-secrets.ts";
import { type ManagedProcess, markPlatformStopping } from "./managed-process.ts";
import { localNatsClusterLayout } from "./nats-cluster.ts";
import { startNodeProcess } from "./node-process.ts";
import { localHaLayout } from "./replicated-postgres.ts";
import { startWorkerProcess } from "./worker-process.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
// CELLPAY_DATA_DIR: another topology's state (the scale bench's control plane, partners and
// loaded cells) kept apart from the one `npm start` uses, so neither routes to the other's cells.
const dataRoot = resolve(root, process.env.CELLPAY_DATA_DIR ?? ".data");
// The control plane's routing key (Ed25519, 0600): made once; routers get its public half.
const routingKeyFile = join(dataRoot, "control-plane", "routing-signing-key.pem");
// CELLPAY_INFRA=external: Postgres/Redis/NATS already run elsewhere (docker compose, or URLs in
// cells.yaml); the launcher then only migrates and starts the services.
const externalInfra = process.env.CELLPAY_INFRA === "external";
// The relay and the processors run off the partners' request path: when the cores are busy the
// scheduler should prefer the routers, gateways and databases, and let events wait a little.
// CELLPAY_WORKER_NICE=0 gives them equal priority.
const workerNiceness = niceness(process.env.CELLPAY_WORKER_NICE ?? "10");
// `npm start -- --tls` (or CELLPAY_TLS=1): the routers serve HTTPS with a local development
// certificate from .data/tls/ (made with openssl on first use, then reused).
const tlsMode = process.argv.includes("--tls") || process.env.CELLPAY_TLS === "1";

// The local demo's test-mode webhook endpoints may target receivers on this machine. A production
// deployment never sets this: there the SSRF guard refuses private and loopback targets.
const localDemoWebhooks = { WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" };

const infras: { stop(): Promise<void> }[] = [];
/** Each cell's servers (absent with CELLPAY_INFRA=external), for their NATS credentials. */
const cellInfras = new Map<string, CellInfra>();
const front: ManagedProcess[] = []; // routers, then the control plane
const gateways: ManagedProcess[] = [];
const workers: ManagedProcess[] = [];
let stopping: Promise<void> | undefined;
/** WAL archive + backups (cells.yaml platform.backups); the repository root is CELLPAY_BACKUP_DIR. */
let backups: { root: string; retentionDays: number } | undefined;
let backupScheduler: { stop(): Promise<void> } | undefined;
/** `cell=url` of every worker's /metrics, for the control plane's monitor (CELL_METRICS_TARGETS). */
const workerMetrics: string[] = [];

function stopAll(): Promise<void> {
  stopping ??= (async () => {
    // A backup in progress is interrupted first: Ctrl-C reaches pgbackrest too, and it must not
    // count as a failed backup.
    const backupsStopped = backupScheduler?.stop();
    // Front to back: stop taking requests, let workers finish what was committed, then the data.
    for (const p of front) await p.stop("SIGTERM", 15_000);
    await Promise.all(gateways.map((g) => g.stop("SIGTERM", 15_000)));
    await Promise.all(workers.map((w) => w.stop("SIGTERM", 15_000)));
    await backupsStopped; // before its database stops
    await Promise.all(infras.map((i) => i.stop()));
  })();
  return stopping;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    markPlatformStopping();
    console.log(`\n${signal}: stopping every process…`);
    stopAll().then(
      () => {
        console.log("stopped; data kept in .data/");
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`stop failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
}

async function startCellInfraFor(cell: CellConfig): Promise<void> {
  if (externalInfra) return;
  const ports = { postgres: cell.postgres.port, redis: cell.redis.port, nats: cell.nats.port };
  if (ports.postgres === undefined || ports.redis === undefined || ports.nats === undefined) {
    throw new ConfigError(
      `cells.yaml: cell ${cell.id} gives URLs, not ports; start with CELLPAY_INFRA=external to use them`,
    );
  }
  const infra: CellInfra = await startCellInfra({
    cellId: cell.id,
    dataDir: join(dataRoot, "cells", cell.id),
    ports: { postgres: ports.postgres, redis: ports.redis, nats: ports.nats },
    ...(cell.postgres.replicas > 1
      ? { postgresHa: localHaLayout(ports.postgres, cell.postgres.replicas, cell.postgres.synchronous) }
      : {}),
    ...(cell.nats.replicas > 1
      ? { natsCluster: localNatsClusterLayout(ports.nats, cell.nats.replicas) }
      : {}),
    ...(backups !== undefined ? { backups } : {}),
  });
  infras.push(infra);
  cellInfras.set(cell.id, infra);
}

/** NATS_NKEY_SEED_FILE for a cell's relay or processors: each role has its own credential. */
function cellNatsCredential(cellId: string, role: "relay" | "processor"): Record<string, string> {
  const infra = cellInfras.get(cellId);
  return infra ? { NATS_NKEY_SEED_FILE: infra.natsUsers[role].seedFile } : {};
}

/** A cell's gateway URLs: public (for the routers) and internal (for the control plane only). */
interface CellGatewayUrls {
  public: string[];
  internal: string[];
}

async function startCellServices(cell: CellConfig, secrets: LocalSecrets): Promise<CellGatewayUrls> {
  const logs = join(dataRoot, "cells", cell.id, "logs");
  const databaseUrl = componentUrl(cell, "postgres");
  await migrateCellDatabase(databaseUrl);
  const urls: CellGatewayUrls = { public: [], internal: [] };
  // The relay's wake-up port (UDP): each gateway tells the relay after its commits that there are
  // events to publish (cell/events/outbox-wake.ts). freePort finds a free TCP port; nothing else
  // of ours binds UDP.
  const wakePort = await freePort();
  for (let i = 0; i < cell.gateways; i++) {
    const port = cell.gateway_port + i;
    const internalPort = cell.internal_port + i;
    gateways.push(
      await startGatewayProcess({
        cellId: cell.id,
        index: i,
        port,
        internalPort,
        databaseUrl,
        redisUrl: componentUrl(cell, "redis"),
        masterKeyFile: secrets.masterKeyFile,
        credentials: secrets,
        logFile: join(logs, `gateway-${i}.log`),
        // The sandbox live connector: `partners enable-live` can be tried locally (README, "Test and live").
        env: {
          ...localDemoWebhooks,
          LIVE_CONNECTORS: "sandbox",
          OUTBOX_WAKE_ADDRESS: `127.0.0.1:${wakePort}`,
        },
      }),
    );
    urls.public.push(`http://127.0.0.1:${port}`);
    urls.internal.push(`http://127.0.0.1:${internalPort}`);
  }
  const workerEnv = {
    CELLPAY_CELL_ID: cell.id,
    DATABASE_URL: databaseUrl,
    NATS_URL: componentUrl(cell, "nats"),
    // The relay makes the cell's streams with this many copies (one per node of its cluster).
    CELLPAY_NATS_STREAM_REPLICAS: String(cell.nats.replicas),
    CELLPAY_MASTER_KEY_FILE: secrets.masterKeyFile,
    CELLPAY_METRICS_TOKEN: secrets.metricsToken,
    ...localDemoWebhooks,
  };
  const metricsEnv = async () => {
    const port = await freePort();
    workerMetrics.push(`${cell.id}=http://127.0.0.1:${port}`);
    return { ...workerEnv, METRICS_PORT: String(port) };
  };
  workers.push(
    await startWorkerProcess({
      name: `${cell.id}-relay`,
      entry: "cell/events/relay/main.ts",
      env: {
        ...(await metricsEnv()),
        ...cellNatsCredential(cell.id, "relay"),
        RELAY_WAKE_PORT: String(wakePort),
      },
      niceness: workerNiceness,
      logFile: join(logs, "relay.log"),
    }),
  );
  for (let i = 0; i < cell.processors; i++) {
    workers.push(
      await startWorkerProcess({
        name: `${cell.id}-processor-${i}`,
        entry: "cell/events/processors/main.ts",
        env: { ...(await metricsEnv()), ...cellNatsCredential(cell.id, "processor") },
        niceness: workerNiceness,
        logFile: join(logs, `processor-${i}.log`),
      }),
    );
  }
  return urls;
}

async function startControlPlane(
  config: PlatformConfig,
  global: GlobalInfra,
  secrets: LocalSecrets,
  tls: DevCertificate | undefined,
): Promise<string> {
  const cp = config.control_plane;
  const scheme = tls ? "https" : "http";
  const dir = join(dataRoot, "control-plane");
  front.unshift(
    await startHttpServiceProcess({
      name: "control-plane",
      entry: "control-plane/main.ts",
      port: cp.port,
      logFile: join(dir, "logs", "control-plane.log"),
      env: {
        DATABASE_URL: process.env.CELLPAY_CONTROL_PLANE_POSTGRES_URL ?? global.postgresUrl,
        NATS_URL: process.env.CELLPAY_CONTROL_PLANE_NATS_URL ?? global.natsUrl,
        CELLPAY_BOOTSTRAP_TOKEN: secrets.bootstrapToken,
        NATS_NKEY_SEED_FILE: global.natsUsers["control-plane"].seedFile,
        ROUTING_SIGNING_KEY_FILE: routingKeyFile,
        CELLPAY_CELL_ADMIN_TOKEN: secrets.cellAdminToken,
        CELLPAY_ROUTER_TABLE_TOKEN: secrets.routerTableToken,
        CELLPAY_METRICS_TOKEN: secrets.metricsToken,
        CELLPAY_MOVE_SIGNING_KEY: secrets.moveSigningKey,
        ROUTER_URLS: Array.from(
          { length: config.routers.instances },
          (_, i) => `${scheme}://127.0.0.1:${config.routers.port + i}`,
        ).join(","),
        CELL_METRICS_TARGETS: workerMetrics.join(","),
        ...(backups !== undefined ? { CELLPAY_BACKUP_DIR: backups.root } : {}),
        // The monitor scrapes the routers: over HTTPS it must trust the development CA.
        ...(tls ? { NODE_EXTRA_CA_CERTS: tls.caFile } : {}),
      },
    }),
  );
  return `http://127.0.0.1:${cp.port}`;
}

async function startRouters(
  config: PlatformConfig,
  controlPlaneUrl: string,
  global: GlobalInfra,
  routingPublicKey: string,
  secrets: LocalSecrets,
  tls: DevCertificate | undefined,
) {
  const urls: string[] = [];
  for (let i = 0; i < config.routers.instances; i++) {
    const port = config.routers.port + i;
    const dir = join(dataRoot, "routers", String(i));
    await mkdir(dir, { recursive: true });
    const service = {
      name: `router-${i}`,
      entry: "router/main.ts",
      port,
      healthPath: "/readyz",
      logFile: join(dir, "router.log"),
      env: {
        CONTROL_PLANE_URL: controlPlaneUrl,
        CONTROL_PLANE_NATS_URL: global.natsUrl,
        CONTROL_PLANE_NATS_NKEY_SEED_FILE: global.natsUsers.router.seedFile,
        ROUTING_PUBLIC_KEY: routingPublicKey,
        CELLPAY_ROUTER_TABLE_TOKEN: secrets.routerTableToken,
        CELLPAY_METRICS_TOKEN: secrets.metricsToken,
        ROUTER_SNAPSHOT_FILE: join(dir, "routing-table.json"),
        // A short HSTS max-age: a browser that once saw localhost over HTTPS must not refuse
        // plain HTTP to every other local project for a year.
        ...(tls
          ? {
              ROUTER_TLS_CERT_FILE: tls.certFile,
              ROUTER_TLS_KEY_FILE: tls.keyFile,
              ROUTER_HSTS_MAX_AGE_S: "300",
            }
          : {}),
      },
    };
    const url = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
    front.unshift(
      tls
        ? await startNodeProcess({
            ...service,
            env: { PORT: String(port), ...service.env },
            ready: { what: `on port ${port} (https)`, probe: httpsProbe(`${url}/readyz`, tls.caFile) },
          })
        : await startHttpServiceProcess(service),
    );
    urls.push(url);
  }
  return urls;
}

function niceness(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 19) {
    throw new ConfigError(`CELLPAY_WORKER_NICE must be an integer from 0 to 19 (got ${value})`);
  }
  return n;
}

async function main(): Promise<void> {
  const file = loadCellsFile(cellsFilePath(root));
  await mkdir(dataRoot, { recursive: true });
  const backupsConfig = file.platform.backups;
  if (backupsConfig.enabled && !externalInfra) {
    backups = {
      root: resolve(root, process.env.CELLPAY_BACKUP_DIR ?? backupsConfig.dir),
      retentionDays: backupsConfig.retention_days,
    };
  }
  const secrets = await ensureLocalSecrets(dataRoot);
  const tls = tlsMode ? await ensureDevCertificate(join(dataRoot, "tls")) : undefined;
  console.log(
    `starting the control plane and ${file.cells.length} cells: ${file.cells.map((c) => c.id).join(", ")}`,
  );
  const started = performance.now();
  const [global] = await Promise.all([
    startGlobalInfra(file.platform.control_plane, join(dataRoot, "control-plane"), undefined, backups),
    ...file.cells.map(startCellInfraFor),
  ]);
  infras.push(global!);
  const gatewayUrls = await Promise.all(file.cells.map((cell) => startCellServices(cell, secrets)));
  const routing = await ensureRoutingSigningKey(routingKeyFile);
  const controlPlaneUrl = await startControlPlane(file.platform, global!, secrets, tls);
  const adminToken = await ensureLauncherAdminToken(
    join(dataRoot, "admin-token"),
    controlPlaneUrl,
    secrets.bootstrapToken,
  );
  for (const [i, cell] of file.cells.entries()) {
    await registerCell(controlPlaneUrl, adminToken, {
      id: cell.id,
      weight: cell.weight,
      gateways: gatewayUrls[i]!.public,
      internal_gateways: gatewayUrls[i]!.internal,
    });
  }
  const routerUrls = await startRouters(
    file.platform,
    controlPlaneUrl,
    global!,
    routing.publicKey,
    secrets,
    tls,
  );
  if (backups !== undefined) {
    const stanzas: ScheduledStanza[] = [...cellInfras.values(), global!].flatMap((infra) =>
      infra.backupStanza ? [{ stanza: infra.backupStanza, postgresUrl: infra.postgresUrl }] : [],
    );
    backupScheduler = startBackupScheduler(stanzas, backupsConfig, {
      log: (msg) => console.log(`[backups] ${msg}`),
    });
  }
  const demo = await ensureDemoPartner(join(dataRoot, "demo-partner.json"), controlPlaneUrl, adminToken);
  printBanner({
    cells: file.cells.map((cell, i) => ({
      cell,
      gatewayUrls: gatewayUrls[i]!.public,
      internalUrls: gatewayUrls[i]!.internal,
    })),
    routerUrls,
    controlPlaneUrl,
    adminToken,
    apiKey: demo.apiKey,
    seconds: (performance.now() - started) / 1000,
    ...(tls ? { caFile: relative(root, tls.caFile) } : {}),
  });
}

main().catch(async (err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `start failed: ${(err as Error).message}`);
  await stopAll().catch(() => {});
  process.exit(1);
});
