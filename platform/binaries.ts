// Finds the PostgreSQL, Redis and NATS server binaries a cell needs, and installs the
// missing ones with apt when we are allowed to (root on Debian/Ubuntu).
import { execFile, spawn } from "node:child_process";
import { access, constants, readdir } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface Binaries {
  /** Directory holding initdb and postgres (Debian keeps it off PATH). */
  pgBin: string;
  redisServer: string;
  natsServer: string;
}

type Component = keyof Binaries;
const aptPackage: Record<Component, string> = {
  pgBin: "postgresql",
  redisServer: "redis-server",
  natsServer: "nats-server",
};

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/bin", "/usr/local/bin"];
  for (const dir of dirs) {
    if (dir !== "" && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

async function findPgBin(): Promise<string | undefined> {
  // pg_config may come from libpq-dev without a server, so its answer must hold initdb.
  try {
    const { stdout } = await execFileAsync("pg_config", ["--bindir"]);
    const dir = stdout.trim();
    if (await isExecutable(join(dir, "initdb"))) return dir;
  } catch {
    // no pg_config: fall through to Debian's versioned layout
  }
  let versions: string[] = [];
  try {
    versions = await readdir("/usr/lib/postgresql");
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (await isExecutable(join(dir, "initdb"))) return dir;
  }
  return undefined;
}

async function locate(): Promise<Partial<Binaries>> {
  const [pgBin, redisServer, natsServer] = await Promise.all([
    findPgBin(),
    onPath("redis-server"),
    onPath("nats-server"),
  ]);
  return {
    ...(pgBin !== undefined ? { pgBin } : {}),
    ...(redisServer !== undefined ? { redisServer } : {}),
    ...(natsServer !== undefined ? { natsServer } : {}),
  };
}

function missingOf(found: Partial<Binaries>): Component[] {
  return (Object.keys(aptPackage) as Component[]).filter((c) => found[c] === undefined);
}

/** Locates all three; throws an error naming what to install if any is missing. */
export async function findBinaries(): Promise<Binaries> {
  const found = await locate();
  const missing = missingOf(found);
  if (missing.length > 0) throw missingError(missing);
  return found as Binaries;
}

function missingError(missing: Component[]): Error {
  const packages = missing.map((c) => aptPackage[c]).join(" ");
  return new Error(
    `cellpay needs real server binaries that were not found: ${packages}.\n` +
      `Install them, e.g. on Debian/Ubuntu: sudo apt-get install -y ${packages}\n` +
      "(PostgreSQL 15+ with its contrib modules, Redis 7+, nats-server 2.9+ with JetStream), " +
      "or put redis-server / nats-server on PATH and pg_config (or /usr/lib/postgresql/<v>/bin) in place.",
  );
}

/** Like findBinaries, but as root on Debian/Ubuntu installs whatever is missing first. */
export async function ensureBinaries(log: (msg: string) => void = console.log): Promise<Binaries> {
  const missing = missingOf(await locate());
  if (missing.length === 0) return findBinaries();
  const canApt = process.getuid?.() === 0 && (await isExecutable("/usr/bin/apt-get"));
  if (!canApt) throw missingError(missing);
  const packages = missing.map((c) => aptPackage[c]);
  await aptInstall(packages, log, async () => missingOf(await locate()).length === 0);
  return findBinaries();
}

/** Patroni and etcd: only needed by cells whose Postgres has replicas (cells.yaml `replicas: 2+`). */
export interface HaBinaries {
  patroni: string;
  etcd: string;
}

const haPackage: Record<keyof HaBinaries, string> = { patroni: "patroni", etcd: "etcd-server" };

/** Like ensureBinaries, for Patroni 3.0 and etcd 3.4 (Debian: `patroni`, `etcd-server`). */
export async function ensureHaBinaries(log: (msg: string) => void = console.log): Promise<HaBinaries> {
  const locateHa = async () => ({ patroni: await onPath("patroni"), etcd: await onPath("etcd") });
  let found = await locateHa();
  const missing = () =>
    (Object.keys(haPackage) as (keyof HaBinaries)[]).filter((c) => found[c] === undefined);
  if (missing().length > 0) {
    const packages = missing().map((c) => haPackage[c]);
    const canApt = process.getuid?.() === 0 && (await isExecutable("/usr/bin/apt-get"));
    if (!canApt) {
      throw new Error(
        `a replicated Postgres needs ${packages.join(" ")}; install them, e.g. sudo apt-get install -y ${packages.join(" ")}`,
      );
    }
    await aptInstall(packages, log, async () => {
      found = await locateHa();
      return missing().length === 0;
    });
    found = await locateHa();
    if (missing().length > 0) throw new Error(`apt-get did not provide ${missing().join(", ")}`);
  }
  return found as HaBinaries;
}

// One apt-get at a time in this process: the launcher starts the control plane and every cell at
// once, and two of them installing pgbackrest together made the second fail on apt's lock.
let aptQueue: Promise<unknown> = Promise.resolve();

/**
 * apt-get update + install, after any install this process already runs; `alreadyThere` is asked
 * again once it is this call's turn (the install before it may have brought the package). Another
 * process holding apt's lock (unattended upgrades, a second launcher) is waited for.
 */
function aptInstall(
  packages: string[],
  log: (msg: string) => void,
  alreadyThere: () => Promise<boolean> = async () => false,
): Promise<void> {
  const turn = aptQueue.then(async () => {
    if (await alreadyThere()) return;
    log(`installing ${packages.join(" ")} with apt-get`);
    const wait = ["-o", "DPkg::Lock::Timeout=300"];
    await run("apt-get", [...wait, "update"], log);
    await run("apt-get", [...wait, "install", "-y", ...packages], log);
  });
  aptQueue = turn.catch(() => {});
  return turn;
}

function run(command: string, args: string[], log: (msg: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") log(`  ${line}`);
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** A CLI tool's path; as root on Debian/Ubuntu its package is installed with apt-get when missing. */
export async function ensureTool(
  name: string,
  debianPackage: string,
  log: (msg: string) => void = console.log,
): Promise<string> {
  const found = await onPath(name);
  if (found) return found;
  const canApt = process.getuid?.() === 0 && (await isExecutable("/usr/bin/apt-get"));
  if (!canApt) throw new Error(`cellpay needs ${name}: e.g. sudo apt-get install -y ${debianPackage}`);
  await aptInstall([debianPackage], log, async () => (await onPath(name)) !== undefined);
  const installed = await onPath(name);
  if (!installed) throw new Error(`${debianPackage} installed, but ${name} is still not on PATH`);
  return installed;
}
