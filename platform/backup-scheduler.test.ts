// The backup scheduler on a real cell Postgres archiving into a real pgBackRest stanza: a partner
// figures recording that fails after a verified backup is counted on its own (the backup stays a
// success, no backup_failing), and a scheduler that stops leaves a status file the control plane
// calls stale.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateCellDatabase } from "../cell/db/migrate.ts";
import { backupHealth, STALE_STATUS_ALERT_S } from "../control-plane/backups/backup-health.ts";
import { backupsSchema } from "../shared/config/cells-config.ts";
import { backUpIfDue, type ScheduledStanza, startBackupScheduler } from "./backup-scheduler.ts";
import { readBackupStatus } from "./backup-status.ts";
import { type CellInfra, startTestCellInfra } from "./cell-infra.ts";
import { readFigureSets } from "./partner-figures.ts";
import { waitFor } from "./wait-for.ts";

const cellId = "cell-sched";
let backupRoot: string;
let infra: CellInfra;
let scheduled: ScheduledStanza;

beforeAll(async () => {
  backupRoot = await mkdtemp(join(tmpdir(), "cellpay-scheduler-backups-"));
  infra = await startTestCellInfra(cellId, { backupRoot });
  scheduled = { stanza: infra.backupStanza!, postgresUrl: infra.postgresUrl };
});
afterAll(async () => {
  await infra?.stop();
  if (backupRoot) await rm(backupRoot, { recursive: true, force: true });
});

const status = async () => (await readBackupStatus(scheduled.stanza.repoPath))!;

describe("backup scheduler", () => {
  it("counts a failed figures recording after a verified backup as a figures failure, not a backup failure", async () => {
    // The cell's database is not migrated yet: the backup works, reading the figures cannot
    // (there is no payments table), as when the primary fails over between the two.
    await backUpIfDue(scheduled, backupsSchema.parse({}));
    const afterFirst = await status();
    expect(afterFirst.last_full).toMatchObject({ type: "full", verified: true });
    expect(afterFirst.consecutive_failures).toBe(0);
    expect(afterFirst.last_failure).toBeNull();
    expect(afterFirst.figures_failures).toBe(1);
    expect(afterFirst.last_figures_error?.message).toMatch(/payments/);
    expect(await readFigureSets(scheduled.stanza.repoPath)).toEqual([]);
    // What GET /admin/v1/cells/:id/backups answers: the figures failure shown, no backup alert for it.
    const health = await backupHealth(backupRoot, cellId, new Date());
    expect(health.status?.figures_failures).toBe(1);
    expect(health.alerts).not.toContain("backup_failing");
    expect(health.alerts).not.toContain("backup_stale");

    // Migrated, the next backup (an incremental, due at once with this schedule) records them.
    await migrateCellDatabase(infra.postgresUrl);
    await backUpIfDue(scheduled, backupsSchema.parse({ incr_every_hours: 0.000_01 }));
    const afterSecond = await status();
    expect(afterSecond.last_incr).toMatchObject({ type: "incr", verified: true });
    expect(afterSecond.last_full?.label).toBe(afterFirst.last_full?.label);
    expect(afterSecond.figures_failures).toBe(0);
    expect(afterSecond.consecutive_failures).toBe(0);
    const sets = await readFigureSets(scheduled.stanza.repoPath);
    expect(sets).toHaveLength(1);
    expect(sets[0]!.partners).toEqual({}); // no payments yet, but a set a restore can be checked against
  });

  it("refreshes the WAL archive figures while it runs; once stopped, the status file turns stale", async () => {
    const before = (await status()).wal_archive?.checked_at ?? "";
    // Both backups above are recent: nothing is due, so only the archive checks write.
    const scheduler = startBackupScheduler([scheduled], backupsSchema.parse({}), {
      firstDelayMs: 0,
      everyMs: 100,
    });
    let checks: string[] = [];
    try {
      await waitFor(
        async () => {
          const checked = (await status()).wal_archive?.checked_at ?? "";
          if (checks.at(-1) !== checked) checks = [...checks, checked];
          if (checks.filter((c) => c > before).length < 2) throw new Error(`checks so far: ${checks}`);
        },
        { what: "two archive checks by the scheduler", timeoutMs: 20_000, intervalMs: 50 },
      );
    } finally {
      await scheduler.stop();
    }
    const frozen = (await status()).wal_archive!;
    expect(frozen.failed_count).toBe(0);
    const checkedAt = Date.parse(frozen.checked_at);
    const at = (ms: number) => backupHealth(backupRoot, cellId, new Date(checkedAt + ms));
    expect((await at(STALE_STATUS_ALERT_S * 1000)).alerts).not.toContain("backup_status_stale");
    // The scheduler is gone: its last figures stay as they were, and the control plane says so.
    const later = await at(STALE_STATUS_ALERT_S * 1000 + 1_000);
    expect(later.alerts).toContain("backup_status_stale");
    expect(later.alerts).not.toContain("wal_archive_lag");
    expect((await status()).wal_archive?.checked_at).toBe(frozen.checked_at);
  });
});
