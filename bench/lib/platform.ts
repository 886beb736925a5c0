// The platform under test: either the local one, started here exactly as `npm start` starts it
// (its own process group, the repository's .data/ so a fresh clone and a second run both work),
// or a running one given by --target/--admin-url/--admin-token.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cellsFilePath, componentUrl, loadCellsFile } from "../../shared/config/cells-config.ts";
import type { BenchOptions } from "./args.ts";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface Platform {
  routerUrls: string[];
  adminUrl: string;
  adminToken: string;
  /** The launcher's process group, when we started it (for CPU sampling and clean stops). */
  pgid: number | undefined;
  /** Each cell's Postgres, when local: for the ceilings, loss checks and pg_stat_statements. */
  cellPostgres: Record<string, string>;
  cellPostgresPort: Record<string, number>;
  stop(): Promise<void>;
}

export async function openPlatform(opts: BenchOptions): Promise<Platform> {
  const file = loadCellsFile(cellsFilePath(repoRoot, { CELLPAY_CELLS_FILE: opts.cellsFile }));
  const cellPostgres: Record<string, string> = {};
  const cellPostgresPort: Record<string, number> = {};
  for (const cell of file.cells) {
    cellPostgres[cell.id] = componentUrl(cell, "postgres");
    if (cell.postgres.port !== undefined) cellPostgresPort[cell.id] = cell.postgres.port;
  }
  if (opts.target) {
    return {
      routerUrls: opts.target,
      adminUrl: opts.adminUrl!,
      adminToken: opts.adminToken!,
      pgid: undefined,
      cellPostgres: {},
      cellPostgresPort: {},
      stop: async () => {},
    };
  }
  // The scale topology's cells have their own ids and hold millions of rows: its control plane,
  // partners and cells live in their own folder, or a later `npm start` would find its demo
  // partner placed on a scale cell that it does not run (seen: 503 cell_unavailable).
  const dataDir = opts.cellsFile.endsWith("cells.scale.yaml") ? join(".data", "scale") : ".data";
  const child = spawn(process.execPath, ["--import", "tsx", "platform/start.ts"], {
    cwd: repoRoot,
    detached: true, // its own process group: every platform process is found, and stopped, by it
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      CELLPAY_CELLS_FILE: opts.cellsFile,
      CELLPAY_DATA_DIR: dataDir,
      ...(dataDir === ".data" ? {} : { CELLPAY_BACKUP_DIR: join(dataDir, "backups") }),
      // The workload declines 2% of card payments on purpose: a dense closed loop of one partner
      // would trip the card-testing pause (cell/limits/decline-velocity.ts) within a second.
      CARD_TESTING_MAX_DECLINES: process.env.CARD_TESTING_MAX_DECLINES ?? "1000000",
      // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": flame graphs of every platform process.
      ...(process.env.BENCH_PLATFORM_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_PLATFORM_NODE_OPTIONS }
        : {}),
    },
  });
  const tail: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The platform runs in its own process group, so a Ctrl-C of the bench does not reach it:
  // pass it on, so no platform is left holding the ports.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void stopGroup(child, exited).finally(() => process.exit(130));
    });
  }
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim()) tail.push(line);
        if (tail.length > 40) tail.shift();
        if (line.includes("cellpay is up")) resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => reject(new Error(`npm start exited (${code}):\n${tail.join("\n")}`)));
    setTimeout(() => reject(new Error(`platform not up after 180 s:\n${tail.join("\n")}`)), 180_000).unref();
  });
  const routers = file.platform.routers;
  const routerUrls = Array.from(
    { length: routers.instances },
    (_, i) => `http://127.0.0.1:${routers.port + i}`,
  );
  return {
    routerUrls,
    adminUrl: `http://127.0.0.1:${file.platform.control_plane.port}`,
    adminToken: readFileSync(join(repoRoot, dataDir, "admin-token"), "utf8").trim(),
    pgid: child.pid,
    cellPostgres,
    cellPostgresPort,
    stop: () => stopGroup(child, exited),
  };
}

async function stopGroup(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  const pgid = child.pid!;
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is already gone
    }
  };
  send("SIGINT");
  const timer = setTimeout(() => send("SIGKILL"), 60_000);
  await exited;
  clearTimeout(timer);
}
