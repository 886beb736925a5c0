// The local backup schedule: every minute, for each stanza, the backup that is due (a full when
// there is none yet, so a restore is possible minutes after the first start; then full / diff /
// incr by age, cells.yaml `platform.backups`), verified; and, on a loop of its own, the WAL
// archive's state from the primary. Results go to the stanza's status file (platform/backup-status.ts).
import postgres from "postgres";
import type { BackupsConfig } from "../shared/config/cells-config.ts";
import { BACKUP_CHECK_INTERVAL_MS, updateBackupStatus } from "./backup-status.ts";
import { recordFigures, takeFigures } from "./partner-figures.ts";
import { type BackupRun, type BackupStanza, type BackupType, stanzaInfo, takeBackup } from "./pgbackrest.ts";

export interface ScheduledStanza {
  stanza: BackupStanza;
  /** Reaches the primary (a multi-host URL with target_session_attrs finds it after a failover). */
  postgresUrl: string;
}

const HOUR = 3_600_000;

/** Which backup is due, from the repository's own list of backup sets. */
export async function dueBackup(s: BackupStanza, config: BackupsConfig, now = Date.now()) {
  const sets = (await stanzaInfo(s)).backups;
  const newest = (types: BackupType[]) =>
    Math.max(0, ...sets.filter((b) => types.includes(b.type)).map((b) => b.stoppedAt.getTime()));
  if (now - newest(["full"]) >= config.full_every_hours * HOUR) return "full";
  if (now - newest(["full", "diff"]) >= config.diff_every_hours * HOUR) return "diff";
  if (now - newest(["full", "diff", "incr"]) >= config.incr_every_hours * HOUR) return "incr";
  return undefined;
}

/**
 * Takes the backup that is due, if any, then records the partner figures beside it. `signal`: the
 * platform is stopping; a backup in progress is stopped and not counted as failed.
 */
export async function backUpIfDue(
  s: ScheduledStanza,
  config: BackupsConfig,
  signal?: AbortSignal,
): Promise<void> {
  const { stanza } = s;
  let run: BackupRun;
  try {
    const type = await dueBackup(stanza, config);
    if (type === undefined) return;
    run = await takeBackup(stanza, type, signal);
  } catch (err) {
    if (signal?.aborted || interruptedBySignal(err)) return;
    await updateBackupStatus(stanza.stanza, stanza.repoPath, (st) => {
      st.consecutive_failures += 1;
      st.last_failure = { at: new Date().toISOString(), message: messageOf(err) };
    });
    return;
  }
  await updateBackupStatus(stanza.stanza, stanza.repoPath, (st) => {
    st[`last_${run.type}`] = {
      type: run.type,
      label: run.label,
      started_at: run.startedAt.toISOString(),
      finished_at: run.finishedAt.toISOString(),
      verified: run.verified,
    };
    st.consecutive_failures = 0;
  });
  await recordFiguresAfter(s, signal);
}

/**
 * The figures a restore of this cell is checked against (platform/partner-figures.ts). They are
 * read from the live primary after the backup: failing here (the primary failing over, the figures
 * file unwritable) leaves a good backup without figures, which is counted on its own, never as a
 * failed backup (that would raise backup_failing for a set that restores fine).
 */
async function recordFiguresAfter(s: ScheduledStanza, signal?: AbortSignal): Promise<void> {
  const { stanza } = s;
  try {
    await recordFigures(stanza.stanza, stanza.repoPath, await takeFigures(s.postgresUrl));
  } catch (err) {
    if (signal?.aborted) return;
    await updateBackupStatus(stanza.stanza, stanza.repoPath, (st) => {
      st.figures_failures += 1;
      st.last_figures_error = { at: new Date().toISOString(), message: messageOf(err) };
    });
    return;
  }
  await updateBackupStatus(stanza.stanza, stanza.repoPath, (st) => {
    st.figures_failures = 0;
  });
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 2000);

/** pgbackrest (or runuser around it) ended by SIGINT/SIGTERM: a stop, not a failed backup. */
function interruptedBySignal(err: unknown): boolean {
  const cause = (err as { cause?: { signal?: string | null; code?: number | string } }).cause;
  return (
    // 63: pgBackRest's own "terminated on signal"; 130, 143: 128 + SIGINT, SIGTERM.
    cause?.signal === "SIGINT" || cause?.signal === "SIGTERM" || [63, 130, 143].includes(Number(cause?.code))
  );
}

/** pg_stat_archiver plus the segments still waiting (.ready) in pg_wal/archive_status. */
export async function recordArchiveState(s: ScheduledStanza): Promise<void> {
  // Bounded: a check that hung would stop refreshing every later stanza's figures too.
  const sql = postgres(s.postgresUrl, {
    max: 1,
    connect_timeout: 5,
    connection: { statement_timeout: 5_000 },
    onnotice: () => {},
  });
  try {
    const [a] = await sql<
      {
        last_archived_wal: string | null;
        last_archived_time: Date | null;
        failed_count: string;
        last_failed_time: Date | null;
        pending: string;
        oldest: Date | null;
      }[]
    >`
      select a.last_archived_wal, a.last_archived_time, a.failed_count, a.last_failed_time,
        (select count(*) from pg_ls_archive_statusdir() where name like '%.ready') as pending,
        (select min(modification) from pg_ls_archive_statusdir() where name like '%.ready') as oldest
      from pg_stat_archiver a`;
    if (!a) return;
    const now = new Date();
    await updateBackupStatus(s.stanza.stanza, s.stanza.repoPath, (st) => {
      st.wal_archive = {
        checked_at: now.toISOString(),
        last_archived_wal: a.last_archived_wal,
        last_archived_at: a.last_archived_time?.toISOString() ?? null,
        pending_segments: Number(a.pending),
        lag_s: a.oldest ? Math.max(0, Math.round((now.getTime() - a.oldest.getTime()) / 1000)) : 0,
        failed_count: Number(a.failed_count),
        last_failed_at: a.last_failed_time?.toISOString() ?? null,
      };
    });
  } catch {
    // The database is down or failing over: the state keeps its last check time, which ages.
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Runs the schedule until stop(): one stanza's backup at a time (the machine is small), and the
 * archive checks on their own loop, so that a full backup taking an hour neither freezes the archive
 * figures of every stanza (wal_archive_lag would go blind) nor looks like a dead scheduler.
 */
export function startBackupScheduler(
  stanzas: ScheduledStanza[],
  config: BackupsConfig,
  opts: { firstDelayMs?: number; everyMs?: number; log?: (msg: string) => void } = {},
) {
  // Stopping interrupts a backup in progress: a first full backup of every stanza right after
  // `npm start` could hold Ctrl-C for longer than a user (or the newcomer check's 30 s) waits.
  const stopping = new AbortController();
  const firstDelayMs = opts.firstDelayMs ?? 15_000;
  const everyMs = opts.everyMs ?? BACKUP_CHECK_INTERVAL_MS;
  const forEachStanza = (what: string, fn: (s: ScheduledStanza) => Promise<void>) => async () => {
    for (const s of stanzas) {
      if (stopping.signal.aborted) return;
      await fn(s).catch((err: unknown) =>
        opts.log?.(`${what} of ${s.stanza.stanza} failed: ${messageOf(err)}`),
      );
    }
  };
  const loops = [
    repeat(forEachStanza("archive check", recordArchiveState), firstDelayMs, everyMs),
    repeat(
      forEachStanza("backup", (s) => backUpIfDue(s, config, stopping.signal)),
      firstDelayMs,
      everyMs,
    ),
  ];
  return {
    async stop() {
      stopping.abort();
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}

/** Runs `fn` after `firstMs`, then `everyMs` after each run ends (runs never overlap). */
function repeat(fn: () => Promise<void>, firstMs: number, everyMs: number) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = fn().finally(() => schedule(everyMs));
    }, ms);
    timer.unref();
  };
  schedule(firstMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
