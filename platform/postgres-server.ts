// Starts one real PostgreSQL server for a cell: initdb on first use, durable settings,
// TCP only on 127.0.0.1, then makes sure the `cellpay` database exists.
import { execFile } from "node:child_process";
import {
  access,
  chmod,
  chown,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
} from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { assertPortFree } from "./free-port.ts";
import { describeExit, type ExitInfo, ManagedProcess } from "./managed-process.ts";
import { waitFor } from "./wait-for.ts";

const execFileAsync = promisify(execFile);

export interface StartPostgresOptions {
  /** Directory holding initdb and postgres. */
  bin: string;
  dataDir: string;
  port: number;
  logFile: string;
  name?: string;
  /** More server settings, e.g. WAL archiving into a backup repository (platform/pgbackrest.ts). */
  settings?: Record<string, string>;
  onUnexpectedExit?: (proc: ManagedProcess, info: ExitInfo) => void;
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/cellpay */
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Settings every cell's Postgres runs with, single or under Patroni.
 * jit off: LLVM compiles a statement's expressions on every execution whose estimated cost
 * passes jit_above_cost, and nothing caches the result. The day-partitioned tables multiply the
 * estimates of the hot statements by their partition count, so the webhook dispatcher's lease
 * query (0 rows) took 1 to 13 s of CPU per call compiling, and the payment phase-2 statement
 * passed the bar too. Short OLTP statements never win that back.
 */
export const OLTP_SETTINGS: Readonly<Record<string, string>> = { jit: "off" };
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresServer> {
  const dataDir = resolve(opts.dataDir);
  const name = opts.name ?? "postgres";
  const runAs = await postgresUser();
  await prepareDataDir(dataDir, runAs);
  await clearStalePidFile(dataDir);
  await assertPortFree(opts.port, name);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C" };
  const ids = runAs ?? {};

  if (!(await exists(join(dataDir, "PG_VERSION")))) {
    const initdb = await ManagedProcess.start({
      name: `${name} initdb`,
      command: join(opts.bin, "initdb"),
      args: ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
      logFile: opts.logFile,
      env,
      ...ids,
    });
    const result = await initdb.exited;
    if (result.code !== 0) {
      throw new Error(`${name}: initdb ${describeExit(result)}; see ${opts.logFile}`);
    }
  }

  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    // Empty disables unix sockets: TCP only, and no 107-byte socket path limit to trip over.
    unix_socket_directories: "",
    fsync: "on",
    synchronous_commit: "on",
    max_connections: "300",
    shared_buffers: "256MB",
    ...OLTP_SETTINGS,
    ...opts.settings,
  };
  if (await hasPgStatStatements(opts.bin)) settings.shared_preload_libraries = "pg_stat_statements";
  const args = ["-D", dataDir, "-p", String(opts.port)];
  for (const [key, value] of Object.entries(settings)) args.push("-c", `${key}=${value}`);

  const proc = await ManagedProcess.start({
    name,
    command: join(opts.bin, "postgres"),
    args,
    logFile: opts.logFile,
    env,
    // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
    stopSignal: "SIGINT",
    ...ids,
    ...(opts.onUnexpectedExit !== undefined ? { onUnexpectedExit: opts.onUnexpectedExit } : {}),
  });
  const stop = async () => {
    await proc.stop("SIGINT", 15_000);
  };

  try {
    const realDir = await realpath(dataDir);
    await waitFor(() => assertOurServer(opts.port, realDir), {
      what: `${name} to accept connections on 127.0.0.1:${opts.port}`,
      timeoutMs: 60_000, // crash recovery after a kill -9 replays WAL before accepting
      logFile: opts.logFile,
      giveUpIf: () => (proc.exit !== undefined ? `postgres ${describeExit(proc.exit)}` : undefined),
    });
    await createCellpayDatabase(opts.port);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://postgres@127.0.0.1:${opts.port}/cellpay`, process: proc, stop };
}

async function query(port: number, database: string, text: string): Promise<unknown[]> {
  const sql = postgres({
    host: "127.0.0.1",
    port,
    user: "postgres",
    database,
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    return [...(await sql.unsafe(text))];
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Throws unless the server on `port` is the one serving `dataDir`, not some other postgres. */
async function assertOurServer(port: number, dataDir: string): Promise<void> {
  const rows = (await query(port, "postgres", "select current_setting('data_directory') as dir")) as {
    dir: string;
  }[];
  const served = rows[0]?.dir;
  if (served !== dataDir) throw new Error(`port ${port} is served by another postgres (data dir ${served})`);
}

export async function createCellpayDatabase(port: number): Promise<void> {
  const rows = await query(port, "postgres", "select 1 from pg_database where datname = 'cellpay'");
  if (rows.length === 0) await query(port, "postgres", "create database cellpay");
}

/** PostgreSQL refuses to run as root, so as root we run it as the `postgres` OS user. */
export async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await execFileAsync("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await execFileAsync("id", ["-g", "postgres"])).stdout.trim());
    return { uid, gid };
  } catch (err) {
    throw new Error("running as root but there is no `postgres` OS user to run PostgreSQL as", {
      cause: err,
    });
  }
}

export async function prepareDataDir(dataDir: string, runAs: RunAs | undefined): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (runAs === undefined) {
    await chmod(dataDir, 0o700);
    return;
  }
  await chown(dataDir, runAs.uid, runAs.gid);
  await chmod(dataDir, 0o700); // postgres refuses a group/world-readable data dir
  // The postgres user must be able to walk down to its data dir (mkdtemp makes 0700 dirs).
  for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
  }
}

/**
 * A postmaster killed with -9 leaves postmaster.pid behind; if its pid has since been reused
 * by another process, postgres refuses to start. Remove the file once no process of the old
 * server remains (all of them, backends included, have the data dir as working directory).
 */
async function clearStalePidFile(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  let content: string;
  try {
    content = await readFile(pidFile, "utf8");
  } catch {
    return;
  }
  const pid = Number(content.split("\n")[0]);
  const realDir = await realpath(dataDir); // /proc/<pid>/cwd shows the resolved path
  const deadline = Date.now() + 10_000;
  for (;;) {
    const holders = await processesWithCwd(realDir);
    if (holders.length === 0) break;
    if (holders.includes(pid)) {
      throw new Error(`postgres is already running on ${dataDir} (pid ${pid}); stop it first`);
    }
    // Orphaned backends notice their postmaster's death and exit within moments.
    if (Date.now() > deadline) {
      throw new Error(`processes ${holders.join(", ")} of a dead postgres still use ${dataDir}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await rm(pidFile, { force: true });
}

async function processesWithCwd(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/cwd`)) === dir) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to inspect
    }
  }
  return pids;
}

/** Preloading a library that is not installed would stop postgres from starting at all. */
export async function hasPgStatStatements(bin: string): Promise<boolean> {
  const libDirs = [join(bin, "..", "lib")];
  try {
    libDirs.unshift((await execFileAsync(join(bin, "pg_config"), ["--pkglibdir"])).stdout.trim());
  } catch {
    // no pg_config next to the server: Debian's lib dir beside bin is the usual place
  }
  for (const dir of libDirs) if (await exists(join(dir, "pg_stat_statements.so"))) return true;
  return false;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
