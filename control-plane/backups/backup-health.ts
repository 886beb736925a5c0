// A cell's backup health: its stanza's status file (written by the backup scheduler and by
// `cells restore`) judged against the thresholds the alerts use.
import { join } from "node:path";
import { z } from "@hono/zod-openapi";
import {
  BACKUP_CHECK_INTERVAL_MS,
  type BackupStatus,
  BackupStatusSchema,
  readBackupStatus,
} from "../../platform/backup-status.ts";
import { listOf } from "../schemas/common.ts";

/** Archive lag above this: the WAL of acknowledged payments is not leaving the machine. */
export const ARCHIVE_LAG_ALERT_S = 300;
/** No verified backup (of any type) for this long: the hourly incremental is well overdue. */
export const STALE_BACKUP_ALERT_H = 26;
/**
 * The scheduler's WAL archive figures not refreshed for this long (5 of its check intervals: a
 * failover or a launcher restart misses one or two): the scheduler is dead, stuck, or cannot reach
 * the primary, and the archive figures wal_archive_lag and wal_archive_failing judge are frozen.
 */
export const STALE_STATUS_ALERT_S = (5 * BACKUP_CHECK_INTERVAL_MS) / 1000;

export const backupAlertRules = [
  "backup_stale",
  "backup_failing",
  "backup_status_stale",
  "wal_archive_lag",
  "wal_archive_failing",
] as const;

export const BackupHealthSchema = z
  .object({
    cell_id: z.string(),
    configured: z.boolean(),
    status: BackupStatusSchema.nullable(),
    alerts: z.array(z.enum(backupAlertRules)),
  })
  .openapi("CellBackupHealth");
export type BackupHealth = z.infer<typeof BackupHealthSchema>;
export const BackupHealthListSchema = listOf(BackupHealthSchema).openapi("CellBackupHealthList");

/** When the newest backup of any type finished (epoch ms), or undefined when there is none. */
export function newestBackupAt(status: BackupStatus | null | undefined): number | undefined {
  const times = [status?.last_full, status?.last_diff, status?.last_incr].flatMap((b) =>
    b ? [Date.parse(b.finished_at)] : [],
  );
  return times.length ? Math.max(...times) : undefined;
}

/** When the scheduler last refreshed the WAL archive figures (epoch ms), or undefined: never. */
export function statusCheckedAt(status: BackupStatus | null | undefined): number | undefined {
  return status?.wal_archive ? Date.parse(status.wal_archive.checked_at) : undefined;
}

export async function backupHealth(
  backupDir: string | undefined,
  cellId: string,
  now: Date,
): Promise<BackupHealth> {
  if (backupDir === undefined) return { cell_id: cellId, configured: false, status: null, alerts: [] };
  const status = (await readBackupStatus(join(backupDir, cellId))) ?? null;
  const alerts: BackupHealth["alerts"] = [];
  const newest = newestBackupAt(status) ?? 0;
  if (now.getTime() - newest > STALE_BACKUP_ALERT_H * 3_600_000) alerts.push("backup_stale");
  if ((status?.consecutive_failures ?? 0) > 0) alerts.push("backup_failing");
  if (now.getTime() - (statusCheckedAt(status) ?? 0) > STALE_STATUS_ALERT_S * 1000) {
    alerts.push("backup_status_stale");
  }
  const wal = status?.wal_archive;
  if (wal && wal.lag_s > ARCHIVE_LAG_ALERT_S) alerts.push("wal_archive_lag");
  if (wal?.last_failed_at && (!wal.last_archived_at || wal.last_failed_at > wal.last_archived_at)) {
    alerts.push("wal_archive_failing");
  }
  return { cell_id: cellId, configured: true, status, alerts };
}
