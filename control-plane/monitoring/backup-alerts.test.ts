// The backup alert rules on real status files (written by the scheduler's own writer,
// updateBackupStatus, into a temp backup folder) read through backupHealth() as the monitor does
// each round: backup_stale and wal_archive_lag are critical, backup_failing, backup_status_stale and
// wal_archive_failing warnings; each fires after forRounds and resolves once its condition stops.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackupStatus, updateBackupStatus } from "../../platform/backup-status.ts";
import {
  ARCHIVE_LAG_ALERT_S,
  backupHealth,
  STALE_BACKUP_ALERT_H,
  STALE_STATUS_ALERT_S,
} from "../backups/backup-health.ts";
import { AlertEvaluator, type CellFacts, defaultThresholds } from "./alerts.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellpay-backup-alerts-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const now = new Date("2026-01-02T12:00:00.000Z");
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const HOUR = 3_600_000;
const run = (type: "full" | "diff" | "incr", finishedAgoMs: number) => ({
  type,
  label: `20260101-000000F_${type}`,
  started_at: ago(finishedAgoMs + 60_000),
  finished_at: ago(finishedAgoMs),
  verified: true,
});
const wal = (over: Partial<NonNullable<BackupStatus["wal_archive"]>> = {}) => ({
  checked_at: ago(10_000),
  last_archived_wal: "000000010000000000000003",
  last_archived_at: ago(20_000),
  pending_segments: 0,
  lag_s: 0,
  failed_count: 0,
  last_failed_at: null,
  ...over,
});

/** A healthy stanza: a full 2 h ago, an incremental 30 min ago, WAL archived 20 s ago. */
async function healthyCell(id: string): Promise<string> {
  const repo = join(dir, id);
  await mkdir(repo, { recursive: true });
  await updateBackupStatus(id, repo, (s) => {
    s.last_full = run("full", 2 * HOUR);
    s.last_incr = run("incr", HOUR / 2);
    s.wal_archive = wal();
  });
  return repo;
}
const change = (id: string, fn: (s: BackupStatus) => void) => updateBackupStatus(id, join(dir, id), fn);

/** `n` monitor rounds: read the status file, evaluate; the open rules after the last one. */
async function rounds(e: AlertEvaluator, id: string, n: number, at = now): Promise<string[]> {
  let open = e.open();
  for (let i = 0; i < n; i++) {
    const facts: CellFacts = {
      id,
      health: "ok",
      state: "active",
      latest: undefined,
      backups: await backupHealth(dir, id, at),
    };
    open = e.evaluate([facts], [], at);
  }
  return open.filter((a) => a.cell === id).map((a) => a.rule);
}
const before = defaultThresholds.forRounds - 1;

describe("backup alert rules", () => {
  it("stay quiet for a cell with recent verified backups and an archive that keeps up", async () => {
    await healthyCell("cell-ok");
    expect(await rounds(new AlertEvaluator(), "cell-ok", 5)).toEqual([]);
  });

  it("never fire when backups are not configured (no backup folder)", async () => {
    const e = new AlertEvaluator();
    const facts: CellFacts = {
      id: "cell-none",
      health: "ok",
      state: "active",
      latest: undefined,
      backups: await backupHealth(undefined, "cell-none", now),
    };
    for (let i = 0; i < 5; i++) e.evaluate([facts], [], now);
    expect(e.open()).toEqual([]);
  });

  it("backup_stale: critical once the newest backup is older than the threshold, resolved by a new one", async () => {
    await healthyCell("cell-stale");
    const e = new AlertEvaluator();
    // The scheduler keeps checking the archive, but no backup lands. Just under the threshold: quiet.
    const under = new Date(now.getTime() + (STALE_BACKUP_ALERT_H * HOUR - HOUR / 2 - 60_000));
    await change("cell-stale", (s) => {
      s.wal_archive = { ...wal(), checked_at: under.toISOString() };
    });
    expect(await rounds(e, "cell-stale", 5, under)).toEqual([]);
    // 26 h after the last incremental, the rule holds.
    const later = new Date(now.getTime() + STALE_BACKUP_ALERT_H * HOUR);
    await change("cell-stale", (s) => {
      s.wal_archive = { ...wal(), checked_at: later.toISOString() };
    });
    expect(await rounds(e, "cell-stale", before, later)).toEqual([]);
    expect(await rounds(e, "cell-stale", 1, later)).toEqual(["backup_stale"]);
    expect(e.open()[0]).toMatchObject({
      severity: "critical",
      cell: "cell-stale",
      id: "backup_stale:cell-stale",
    });
    expect(e.open()[0]!.message).toMatch(/newest backup finished 26\.5 h ago \(threshold 26 h\)/);
    // A new incremental lands: resolved on the next round.
    await change("cell-stale", (s) => {
      s.last_incr = { ...run("incr", 0), finished_at: later.toISOString() };
    });
    expect(await rounds(e, "cell-stale", 1, later)).toEqual([]);
  });

  it("backup_stale: a configured cell with no backup at all (no status file) is stale", async () => {
    const e = new AlertEvaluator();
    // No status file: no scheduler has ever written one either.
    expect(await rounds(e, "cell-never", defaultThresholds.forRounds)).toEqual([
      "backup_stale",
      "backup_status_stale",
    ]);
    expect(e.open()[0]!.message).toMatch(/no backup recorded/);
    expect(e.open()[1]!.message).toMatch(/never recorded the WAL archive's state \(no status file/);
  });

  it("backup_status_stale: a warning once the scheduler stops refreshing the archive figures, resolved by its next check", async () => {
    await healthyCell("cell-frozen"); // last checked 10 s before `now`
    const e = new AlertEvaluator();
    const at = (ms: number) => new Date(now.getTime() - 10_000 + ms);
    // At the threshold (not above it): quiet, even though the frozen figures say all is well.
    expect(await rounds(e, "cell-frozen", 5, at(STALE_STATUS_ALERT_S * 1000))).toEqual([]);
    // The scheduler died: its last figures say lag 0, so only this rule tells.
    const later = at(STALE_STATUS_ALERT_S * 1000 + 60_000);
    expect(await rounds(e, "cell-frozen", before, later)).toEqual([]);
    expect(await rounds(e, "cell-frozen", 1, later)).toEqual(["backup_status_stale"]);
    expect(e.open()[0]).toMatchObject({
      severity: "warning",
      cell: "cell-frozen",
      id: "backup_status_stale:cell-frozen",
    });
    expect(e.open()[0]!.message).toMatch(/last checked the WAL archive 6\.0 min ago \(threshold 5 min\)/);
    // The scheduler is back: its next archive check resolves it.
    await change("cell-frozen", (s) => {
      s.wal_archive = { ...wal(), checked_at: later.toISOString() };
    });
    expect(await rounds(e, "cell-frozen", 1, later)).toEqual([]);
  });

  it("wal_archive_lag: critical above the lag threshold, resolved when the archive catches up", async () => {
    await healthyCell("cell-lag");
    await change("cell-lag", (s) => {
      s.wal_archive = wal({ pending_segments: 2, lag_s: ARCHIVE_LAG_ALERT_S });
    });
    const e = new AlertEvaluator();
    expect(await rounds(e, "cell-lag", 5)).toEqual([]); // at the threshold, not above
    await change("cell-lag", (s) => {
      s.wal_archive = wal({ pending_segments: 7, lag_s: ARCHIVE_LAG_ALERT_S + 60 });
    });
    expect(await rounds(e, "cell-lag", before)).toEqual([]);
    expect(await rounds(e, "cell-lag", 1)).toEqual(["wal_archive_lag"]);
    expect(e.open()[0]).toMatchObject({ severity: "critical", cell: "cell-lag" });
    expect(e.open()[0]!.message).toMatch(/7 WAL segments wait to be archived, the oldest for 360 s/);
    await change("cell-lag", (s) => {
      s.wal_archive = wal();
    });
    expect(await rounds(e, "cell-lag", 1)).toEqual([]);
  });

  it("backup_failing: a warning while runs fail, resolved by the next backup that passes", async () => {
    await healthyCell("cell-fail");
    await change("cell-fail", (s) => {
      s.consecutive_failures = 2;
      s.last_failure = {
        at: ago(60_000),
        message: "ERROR: [082]: WAL segment was not archived before timeout",
      };
    });
    const e = new AlertEvaluator();
    expect(await rounds(e, "cell-fail", before)).toEqual([]);
    expect(await rounds(e, "cell-fail", 1)).toEqual(["backup_failing"]);
    expect(e.open()[0]).toMatchObject({ severity: "warning", cell: "cell-fail" });
    expect(e.open()[0]!.message).toContain("2 backup run(s) failed in a row");
    expect(e.open()[0]!.message).toContain("[082]");
    await change("cell-fail", (s) => {
      s.consecutive_failures = 0; // what the scheduler writes after a verified backup
      s.last_incr = run("incr", 0);
    });
    expect(await rounds(e, "cell-fail", 1)).toEqual([]);
  });

  it("wal_archive_failing: a warning while the last archive attempt failed, resolved by a success", async () => {
    await healthyCell("cell-archfail");
    await change("cell-archfail", (s) => {
      s.wal_archive = wal({ failed_count: 3, last_failed_at: ago(5_000), last_archived_at: ago(90_000) });
    });
    const e = new AlertEvaluator();
    expect(await rounds(e, "cell-archfail", before)).toEqual([]);
    expect(await rounds(e, "cell-archfail", 1)).toEqual(["wal_archive_failing"]);
    expect(e.open()[0]).toMatchObject({ severity: "warning", cell: "cell-archfail" });
    await change("cell-archfail", (s) => {
      s.wal_archive = wal({ failed_count: 3, last_failed_at: ago(5_000), last_archived_at: ago(1_000) });
    });
    expect(await rounds(e, "cell-archfail", 1)).toEqual([]);
  });

  it("orders critical before warning when several hold at once", async () => {
    await healthyCell("cell-both");
    await change("cell-both", (s) => {
      s.consecutive_failures = 1;
      s.wal_archive = wal({ pending_segments: 40, lag_s: 900, failed_count: 40, last_failed_at: ago(1_000) });
    });
    const e = new AlertEvaluator();
    expect(await rounds(e, "cell-both", defaultThresholds.forRounds)).toEqual([
      "wal_archive_lag",
      "backup_failing",
      "wal_archive_failing",
    ]);
  });
});
