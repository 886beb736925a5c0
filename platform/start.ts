// `npm start`: the whole platform on this machine. For every cell in cells.yaml: its own
// PostgreSQL, Redis and NATS JetStream processes (data under .data/cells/<id>/), migrations, and
// its gateway instances. Prints the endpoint, a demo partner's test key and a first curl line.
// Ctrl-C (SIGINT) or SIGTERM stops every child; the next start finds the data again.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import { type CellConfig, ConfigError, componentUrl, loadCellsFile } from "../shared/config/cells-config.ts";
import { printBanner } from "./banner.ts";
import { type CellInfra, startCellInfra } from "./cell-infra.ts";
import { ensureDemoPartner } from "./demo-partner.ts";
import { startGatewayProcess } from "./gateway-process.ts";
import type { ManagedProcess } from "./managed-process.ts";
import { ensureLocalMasterKeyFile } from "./master-key.ts";
import { startWorkerProcess } from "./worker-process.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dataRoot = join(root, ".data");

const infras: CellInfra[] = [];
const gateways: ManagedProcess[] = [];
const workers: ManagedProcess[] = [];
let stopping: Promise<void> | undefined;

function stopAll(): Promise<void> {
  stopping ??= (async () => {
    // Front to back: stop taking requests, then let workers finish what was committed.
    await Promise.all(gateways.map((g) => g.stop("SIGTERM", 15_000)));
    await Promise.all(workers.map((w) => w.stop("SIGTERM", 15_000)));
    await Promise.all(infras.map((i) => i.stop()));
  })();
  return stopping;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    console.log(`\n${signal}: stopping every cell…`);
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

// CELLPAY_INFRA=external: Postgres/Redis/NATS already run elsewhere (docker compose, or URLs in
// cells.yaml); the launcher then only migrates and starts the gateways.
const externalInfra = process.env.CELLPAY_INFRA === "external";

async function startCell(cell: CellConfig, masterKeyFile: string): Promise<string[]> {
  const cellDir = join(dataRoot, "cells", cell.id);
  if (!externalInfra) {
    const ports = { postgres: cell.postgres.port, redis: cell.redis.port, nats: cell.nats.port };
    if (ports.postgres === undefined || ports.redis === undefined || ports.nats === undefined) {
      throw new ConfigError(
        `cells.yaml: cell ${cell.id} gives URLs, not ports; start with CELLPAY_INFRA=external to use them`,
      );
    }
    const infra = await startCellInfra({
      cellId: cell.id,
      dataDir: cellDir,
      ports: { postgres: ports.postgres, redis: ports.redis, nats: ports.nats },
    });
    infras.push(infra);
  }
  const databaseUrl = componentUrl(cell, "postgres");
  await migrateCellDatabase(databaseUrl);
  const urls: string[] = [];
  for (let i = 0; i < cell.gateways; i++) {
    const port = cell.gateway_port + i;
    const proc = await startGatewayProcess({
      cellId: cell.id,
      index: i,
      port,
      databaseUrl,
      redisUrl: componentUrl(cell, "redis"),
      masterKeyFile,
      logFile: join(cellDir, "logs", `gateway-${i}.log`),
    });
    gateways.push(proc);
    urls.push(`http://127.0.0.1:${port}`);
  }
  const workerEnv = {
    CELLPAY_CELL_ID: cell.id,
    DATABASE_URL: databaseUrl,
    NATS_URL: componentUrl(cell, "nats"),
    CELLPAY_MASTER_KEY_FILE: masterKeyFile,
  };
  const logs = join(cellDir, "logs");
  workers.push(
    await startWorkerProcess({
      name: `${cell.id}-relay`,
      entry: "cell/events/relay/main.ts",
      env: workerEnv,
      logFile: join(logs, "relay.log"),
    }),
  );
  for (let i = 0; i < cell.processors; i++) {
    workers.push(
      await startWorkerProcess({
        name: `${cell.id}-processor-${i}`,
        entry: "cell/events/processors/main.ts",
        env: workerEnv,
        logFile: join(logs, `processor-${i}.log`),
      }),
    );
  }
  return urls;
}

async function main(): Promise<void> {
  const file = loadCellsFile(join(root, "cells.yaml"));
  await mkdir(dataRoot, { recursive: true });
  const masterKeyFile = await ensureLocalMasterKeyFile(join(dataRoot, "master.key"));
  console.log(`starting ${file.cells.length} cells: ${file.cells.map((c) => c.id).join(", ")}`);
  const started = performance.now();
  const gatewayUrls = await Promise.all(file.cells.map((cell) => startCell(cell, masterKeyFile)));
  const home = file.cells[0]!;
  const demo = await ensureDemoPartner(
    join(dataRoot, "demo-partner.json"),
    home.id,
    componentUrl(home, "postgres"),
  );
  printBanner({
    cells: file.cells.map((cell, i) => ({ cell, gatewayUrls: gatewayUrls[i]! })),
    endpoint: gatewayUrls[0]![0]!,
    apiKey: demo.apiKey,
    seconds: (performance.now() - started) / 1000,
  });
}

main().catch(async (err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `start failed: ${(err as Error).message}`);
  await stopAll().catch(() => {});
  process.exit(1);
});
