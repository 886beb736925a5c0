// A stanza's backup health as the scheduler (and `cells restore`) last saw it, kept in one JSON file
// beside the repository: last backups of each type, failures, the WAL archive's state and the
// last restore. The control plane reads it for GET /admin/v1/cells/:id/backups and its alerts.
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * The scheduler refreshes every stanza's WAL archive figures this often (and checks which backup
 * is due); the control plane judges the status file stale after a few missed refreshes.
 */
export const BACKUP_CHECK_INTERVAL_MS = 60_000;

const BackupRunSchema = z.object({
  type: z.enum(["full", "diff", "incr"]),
  label: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  verified: z.boolean(),
});

export const BackupStatusSchema = z.object({
  stanza: z.string(),
  repo_path: z.string(),
  last_full: BackupRunSchema.nullable(),
  last_diff: BackupRunSchema.nullable(),
  last_incr: BackupRunSchema.nullable(),
  /** Backups or verifications that failed since the last one that passed. */
  consecutive_failures: z.number().int(),
  last_failure: z.object({ at: z.string(), message: z.string() }).nullable(),
  /**
   * Recordings of the partner figures (platform/partner-figures.ts) that failed after a verified
   * backup, since the last one that succeeded: the backup itself stands, a restore to it just has
   * no figures to be checked against. Defaults: status files written before these fields existed.
   */
  figures_failures: z.number().int().default(0),
  last_figures_error: z.object({ at: z.string(), message: z.string() }).nullable().default(null),
  wal_archive: z
    .object({
      /** The scheduler's last look at the archiver (every BACKUP_CHECK_INTERVAL_MS while it runs). */
      checked_at: z.string(),
      last_archived_wal: z.string().nullable(),
      last_archived_at: z.string().nullable(),
      /** Segments written and waiting to be archived. */
      pending_segments: z.number().int(),
      /** Age of the oldest segment waiting (0 when none waits). */
      lag_s: z.number(),
      failed_count: z.number().int(),
      last_failed_at: z.string().nullable(),
    })
    .nullable(),
  last_restore: z
    .object({
      at: z.string(),
      as_cell: z.string(),
      target: z.string(),
      duration_s: z.number(),
      drill: z.boolean(),
      figures_match: z.boolean(),
    })
    .nullable(),
});
export type BackupStatus = z.infer<typeof BackupStatusSchema>;

export const statusFile = (repoPath: string) => join(repoPath, "cellpay-backup-status.json");

export async function readBackupStatus(repoPath: string): Promise<BackupStatus | undefined> {
  try {
    return BackupStatusSchema.parse(JSON.parse(await readFile(statusFile(repoPath), "utf8")));
  } catch {
    return undefined;
  }
}

// One read-change-write at a time per file in this process: the scheduler's archive checks and its
// backups update the same file from two loops, and interleaved they would drop each other's change.
const writes = new Map<string, Promise<unknown>>();

/** Read, change, write (through a temp file, so a reader never sees half a file). */
export function updateBackupStatus(
  stanza: string,
  repoPath: string,
  change: (s: BackupStatus) => void,
): Promise<BackupStatus> {
  const file = statusFile(repoPath);
  const turn = (writes.get(file) ?? Promise.resolve()).then(() => readChangeWrite(stanza, repoPath, change));
  const settled = turn.catch(() => {});
  writes.set(file, settled);
  void settled.then(() => {
    if (writes.get(file) === settled) writes.delete(file);
  });
  return turn;
}

async function readChangeWrite(
  stanza: string,
  repoPath: string,
  change: (s: BackupStatus) => void,
): Promise<BackupStatus> {
  const status: BackupStatus = (await readBackupStatus(repoPath)) ?? {
    stanza,
    repo_path: repoPath,
    last_full: null,
    last_diff: null,
    last_incr: null,
    consecutive_failures: 0,
    last_failure: null,
    figures_failures: 0,
    last_figures_error: null,
    wal_archive: null,
    last_restore: null,
  };
  change(status);
  const tmp = `${statusFile(repoPath)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`);
  await rename(tmp, statusFile(repoPath));
  return status;
}
