// One pgBackRest stanza (a database's WAL archive and base backups): its config file, the
// Postgres settings that archive into it, and the pgbackrest commands (stanza-create, backup,
// verify, info, restore), always run as the `postgres` OS user, which owns the repository.
import { execFile } from "node:child_process";
import { chown, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { ensureTool } from "./binaries.ts";
import { postgresUser, prepareDataDir, type RunAs } from "./postgres-server.ts";

const execFileAsync = promisify(execFile);

/**
 * Postgres switches to a new WAL segment (and so archives) at least this often when it has
 * written anything: with only the archive left, at most this much acknowledged work is lost.
 */
export const ARCHIVE_TIMEOUT_S = 30;
/** Point-in-time recovery kept: full backups are expired once a newer one covers this window. */
export const DEFAULT_RETENTION_DAYS = 14;
/**
 * pgbackrest reaches the database over a unix socket only; ours listen on TCP, plus a socket in
 * this one short directory (0700, the postgres user's): socket paths may not exceed 107 bytes.
 */
export const PG_SOCKET_DIR = "/tmp/cellpay-pg-sockets";

export interface BackupStanza {
  /** The stanza's name: the cell id, or `control-plane`. */
  stanza: string;
  /** The repository (archive/ and backup/), never inside the data folder it protects. */
  repoPath: string;
  /** The folder holding pgbackrest.conf, log/, lock/ (locally: the repository itself). */
  configDir: string;
  configFile: string;
}

export interface PgNode {
  dataDir: string;
  port: number;
}

/** Locally `<root>/<stanza>`; CELLPAY_BACKUP_DIR moves every stanza's repository elsewhere. */
export function backupStanza(root: string, stanza: string): BackupStanza {
  const repoPath = resolve(root, stanza);
  return { stanza, repoPath, configDir: repoPath, configFile: join(repoPath, "pgbackrest.conf") };
}

/**
 * Writes pgbackrest.conf for the stanza. With several nodes (a Patroni cluster) pgbackrest asks
 * each one whether it is in recovery and backs up from the primary. Any PGBACKREST_* variable
 * in the environment (e.g. PGBACKREST_REPO1_TYPE=s3 and its bucket settings) overrides this file.
 */
export async function writeStanzaConfig(
  s: BackupStanza,
  nodes: PgNode[],
  retentionDays = DEFAULT_RETENTION_DAYS,
): Promise<void> {
  await ensureTool("pgbackrest", "pgbackrest"); // apt-get install when missing, like patroni/etcd
  const runAs = await postgresUser();
  await ensureOwnedDir(s.repoPath, runAs);
  await ensureOwnedDir(s.configDir, runAs);
  await ensureOwnedDir(join(s.configDir, "log"), runAs);
  await ensureOwnedDir(join(s.configDir, "lock"), runAs);
  await ensureOwnedDir(PG_SOCKET_DIR, runAs);
  await writeFile(s.configFile, stanzaConfigText(s, nodes, retentionDays), { mode: 0o640 });
  if (runAs) await chown(s.configFile, runAs.uid, runAs.gid);
}

/** pgbackrest.conf's text (docker-compose.yml's Patroni image is given the same, per node). */
export function stanzaConfigText(s: BackupStanza, nodes: PgNode[], retentionDays = DEFAULT_RETENTION_DAYS) {
  const lines = [
    "[global]",
    `repo1-path=${s.repoPath}`,
    // Keep fulls (and what depends on them) for the whole window, not a count of them.
    "repo1-retention-full-type=time",
    `repo1-retention-full=${retentionDays}`,
    "repo1-retention-diff=7",
    `log-path=${join(s.configDir, "log")}`,
    `lock-path=${join(s.configDir, "lock")}`,
    "log-level-console=warn",
    "log-level-file=info",
    // lz4: a restore is bounded by decompression as much as by the disk; zst/gz are slower here.
    "compress-type=lz4",
    "process-max=2",
    "start-fast=y",
    "delta=y",
    "",
    `[${s.stanza}]`,
    ...nodes.flatMap((n, i) => [
      `pg${i + 1}-path=${resolve(n.dataDir)}`,
      `pg${i + 1}-port=${n.port}`,
      `pg${i + 1}-socket-path=${PG_SOCKET_DIR}`,
      `pg${i + 1}-user=postgres`,
    ]),
    "",
  ];
  return lines.join("\n");
}

/** The Postgres settings that archive every WAL segment into the stanza. */
export function archiveSettings(s: BackupStanza): Record<string, string> {
  return {
    archive_mode: "on",
    archive_command: `pgbackrest --config=${s.configFile} --stanza=${s.stanza} archive-push %p`,
    archive_timeout: `${ARCHIVE_TIMEOUT_S}s`,
    unix_socket_directories: PG_SOCKET_DIR,
  };
}

export class PgbackrestError extends Error {}

/**
 * Runs one pgbackrest command on the stanza as the postgres user; returns its stdout. `signal`
 * stops it (SIGTERM): an interrupted backup is left for pgBackRest to resume or expire.
 */
export async function pgbackrest(
  s: BackupStanza,
  command: string,
  args: string[] = [],
  signal?: AbortSignal,
): Promise<string> {
  const argv = [`--config=${s.configFile}`, `--stanza=${s.stanza}`, ...args, command];
  const runAs = await postgresUser();
  const [file, fileArgs] = runAs
    ? ["runuser", ["-u", "postgres", "--", "pgbackrest", ...argv]]
    : ["pgbackrest", argv];
  try {
    const { stdout } = await execFileAsync(file, fileArgs, {
      maxBuffer: 64 * 1024 * 1024,
      ...(signal ? { signal, killSignal: "SIGTERM" as const } : {}),
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const detail = `${e.stderr ?? ""}${e.stdout ?? ""}`.trim() || e.message;
    throw new PgbackrestError(`pgbackrest ${command} (stanza ${s.stanza}) failed: ${detail}`, { cause: err });
  }
}

/** Creates the stanza if it does not exist yet (safe to repeat; the database must be up). */
export async function ensureStanza(s: BackupStanza): Promise<void> {
  await pgbackrest(s, "stanza-create");
}

export type BackupType = "full" | "diff" | "incr";

export interface BackupRun {
  type: BackupType;
  label: string;
  startedAt: Date;
  finishedAt: Date;
  /** `pgbackrest verify` of this backup set passed. */
  verified: boolean;
}

/** Takes one backup from the primary, then verifies that set's files in the repository. */
export async function takeBackup(
  s: BackupStanza,
  type: BackupType,
  signal?: AbortSignal,
): Promise<BackupRun> {
  const startedAt = new Date();
  await pgbackrest(s, "backup", [`--type=${type}`], signal);
  const latest = (await stanzaInfo(s)).backups.at(-1);
  if (!latest) throw new PgbackrestError(`pgbackrest backup (stanza ${s.stanza}) left no backup set`);
  await pgbackrest(s, "verify", [`--set=${latest.label}`], signal);
  return { type: latest.type, label: latest.label, startedAt, finishedAt: new Date(), verified: true };
}

export interface StanzaInfo {
  backups: { label: string; type: BackupType; startedAt: Date; stoppedAt: Date; sizeBytes: number }[];
  /** The newest WAL segment in the archive. */
  archiveMax?: string;
}

export async function stanzaInfo(s: BackupStanza): Promise<StanzaInfo> {
  const parsed = JSON.parse(await pgbackrest(s, "info", ["--output=json"])) as {
    archive?: { max?: string }[];
    backup?: {
      label: string;
      type: BackupType;
      timestamp: { start: number; stop: number };
      info: { size: number };
    }[];
  }[];
  const stanza = parsed[0];
  return {
    backups: (stanza?.backup ?? []).map((b) => ({
      label: b.label,
      type: b.type,
      startedAt: new Date(b.timestamp.start * 1000),
      stoppedAt: new Date(b.timestamp.stop * 1000),
      sizeBytes: b.info.size,
    })),
    ...(stanza?.archive?.at(-1)?.max ? { archiveMax: stanza.archive.at(-1)?.max } : {}),
  };
}

/** `latest`: replay the whole archive; a Date: stop just before the first commit after it. */
export type RestoreTarget = "latest" | Date;

/**
 * Restores the stanza into a fresh data folder (which must not hold a database) and leaves it to
 * recover on its first start: from the archive up to the target, then promote to a new timeline.
 */
export async function restoreInto(s: BackupStanza, dataDir: string, to: RestoreTarget): Promise<void> {
  const runAs = await postgresUser();
  await ensureOwnedDir(resolve(dataDir), runAs);
  const target =
    to === "latest"
      ? ["--type=default"]
      : ["--type=time", `--target=${pgTimestamp(to)}`, "--target-action=promote", "--target-exclusive"];
  await pgbackrest(s, "restore", [`--pg1-path=${resolve(dataDir)}`, "--delta=n", ...target]);
}

/** `2026-12-02 05:10:00.123+00`: the form both pgbackrest (to pick the set) and Postgres parse. */
const pgTimestamp = (d: Date) => `${d.toISOString().replace("T", " ").replace("Z", "")}+00`;

/** A 0700 folder of the postgres user, with every parent walkable by it. */
const ensureOwnedDir = (dir: string, runAs: RunAs | undefined) => prepareDataDir(dir, runAs);

/**
 * A restored server accepts read-only connections while it still replays the archive: wait
 * until recovery has reached its target and the server is promoted (writable, a new timeline).
 */
export async function waitUntilPromoted(url: string, timeoutMs = 30 * 60_000): Promise<void> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await sql<{ r: boolean }[]>`select pg_is_in_recovery() as r`;
      if (row?.r === false) return;
      if (Date.now() > deadline) throw new PgbackrestError(`${url}: still recovering after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}
