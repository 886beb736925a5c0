// Alert rules, evaluated after every scrape round on the figures the monitor holds. Each rule
// must hold for `forRounds` consecutive rounds before it fires (like Prometheus' `for:`), and an
// alert resolves as soon as its condition stops holding. prometheus-alerts.yml ships the same
// rules in PromQL for people who run Prometheus and Alertmanager.
import type { DatabaseLayout } from "../../shared/cell-api/contract.ts";
import { missingSyncStandby } from "../../shared/cell-api/sync-standby.ts";
import {
  ARCHIVE_LAG_ALERT_S,
  type BackupHealth,
  newestBackupAt,
  STALE_BACKUP_ALERT_H,
  STALE_STATUS_ALERT_S,
  statusCheckedAt,
} from "../backups/backup-health.ts";
import type { DatabaseFailover } from "../db/schema.ts";
import type { CellPoint } from "./cell-rollup.ts";
import type { PartnerLive } from "./partner-rollup.ts";

export interface AlertThresholds {
  errorRatio: number;
  p99Ms: number;
  consumerLag: number;
  webhookFailureRatio: number;
  /** Rounds a partner must keep hitting its rate limit. */
  partnerLimitedRounds: number;
  /** How long a failover stays an open alert after the health checker saw it. */
  failoverAlertMs: number;
  forRounds: number;
}

export const defaultThresholds: AlertThresholds = {
  errorRatio: 0.05,
  p99Ms: 2000,
  consumerLag: 1000,
  webhookFailureRatio: 0.2,
  partnerLimitedRounds: 30,
  failoverAlertMs: 15 * 60_000,
  forRounds: 3,
};

/** Every rule, in one list: the alert API's enum and the open-alerts gauge take it from here. */
export const alertRules = [
  "cell_down",
  "error_ratio",
  "p99_latency",
  "consumer_lag",
  "webhook_failures",
  "partner_rate_limited",
  "sync_standby_missing",
  "database_failover",
  "backup_stale",
  "backup_failing",
  "backup_status_stale",
  "wal_archive_lag",
  "wal_archive_failing",
] as const;
export type AlertRule = (typeof alertRules)[number];

export interface Alert {
  id: string;
  rule: AlertRule;
  severity: "critical" | "warning";
  cell?: string;
  partner?: string;
  message: string;
  since: string;
}

export interface CellFacts {
  id: string;
  health: string;
  state: string;
  latest: CellPoint | undefined;
  /** The database role layout the health checker last read (absent until then). */
  database?: DatabaseLayout | undefined;
  lastFailover?: DatabaseFailover | undefined;
  /** The stanza's status file as backupHealth() judged it (absent when backups are not configured). */
  backups?: BackupHealth | undefined;
}

type Candidate = Omit<Alert, "since">;

/** The database rules: RPO 0 needs a streaming synchronous standby; a failover is announced. */
function databaseCandidates(c: CellFacts, th: AlertThresholds, now: Date): Candidate[] {
  const out: Candidate[] = [];
  const missing = c.database ? missingSyncStandby(c.database) : undefined;
  if (missing && c.state !== "draining") {
    out.push({
      id: `sync_standby_missing:${c.id}`,
      rule: "sync_standby_missing",
      severity: "critical",
      cell: c.id,
      message: `Cell ${c.id}: ${missing} (RPO is no longer 0).`,
    });
  }
  const f = c.lastFailover;
  if (f && now.getTime() - Date.parse(f.at) < th.failoverAlertMs) {
    out.push({
      id: `database_failover:${c.id}:${f.at}`,
      rule: "database_failover",
      severity: "warning",
      cell: c.id,
      message: `Cell ${c.id}: the database primary moved from ${f.from.address} (timeline ${f.from.timeline ?? "?"}) to ${f.to.address} (timeline ${f.to.timeline ?? "?"}) at ${f.at}.`,
    });
  }
  return out;
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

/**
 * The backup rules, on backupHealth()'s judgement (the same one GET /admin/v1/cells/:id/backups
 * shows). Critical where recovery is already weaker than promised: no recent backup (a restore
 * replays more WAL than the RTO allows, and a bad last set leaves nothing) or WAL not leaving the
 * machine (acknowledged payments exist on one disk). A failing backup or archive command is a
 * warning: the previous set and the WAL still stand, and if the failures go on, backup_stale or
 * wal_archive_lag turns critical by itself. A stale status file (the scheduler stopped refreshing
 * it) is a warning too: Postgres archives WAL by itself, without the scheduler, so nothing is lost
 * yet; what is lost is sight of the archive (wal_archive_lag cannot fire on frozen figures), and
 * backup_stale still turns critical by itself once no backup has run for its threshold.
 */
function backupCandidates(c: CellFacts, now: Date): Candidate[] {
  const h = c.backups;
  if (!h?.configured) return [];
  const st = h.status;
  const wal = st?.wal_archive;
  const out: Candidate[] = [];
  for (const rule of h.alerts) {
    const base = { id: `${rule}:${c.id}`, rule, cell: c.id } as const;
    if (rule === "backup_stale") {
      const newest = newestBackupAt(st);
      out.push({
        ...base,
        severity: "critical",
        message:
          newest === undefined
            ? `Cell ${c.id}: no backup recorded${st ? ` in ${st.repo_path}` : " (no status file in the backup repository)"}.`
            : `Cell ${c.id}: newest backup finished ${hours(now.getTime() - newest)} ago (threshold ${STALE_BACKUP_ALERT_H} h).`,
      });
    } else if (rule === "wal_archive_lag") {
      out.push({
        ...base,
        severity: "critical",
        message: `Cell ${c.id}: ${wal?.pending_segments ?? "?"} WAL segments wait to be archived, the oldest for ${Math.round(wal?.lag_s ?? 0)} s (threshold ${ARCHIVE_LAG_ALERT_S} s): those commits are on this machine only.`,
      });
    } else if (rule === "backup_status_stale") {
      const checked = statusCheckedAt(st);
      out.push({
        ...base,
        severity: "warning",
        message:
          checked === undefined
            ? `Cell ${c.id}: the backup scheduler never recorded the WAL archive's state${st ? "" : " (no status file in the backup repository)"}: is it running?`
            : `Cell ${c.id}: the backup scheduler last checked the WAL archive ${minutes(now.getTime() - checked)} ago (threshold ${STALE_STATUS_ALERT_S / 60} min): it is not running or cannot reach the primary, and the archive figures are frozen.`,
      });
    } else if (rule === "backup_failing") {
      const f = st?.last_failure;
      out.push({
        ...base,
        severity: "warning",
        message: `Cell ${c.id}: ${st?.consecutive_failures ?? "?"} backup run(s) failed in a row${f ? `, last at ${f.at}: ${f.message.slice(0, 200)}` : ""}.`,
      });
    } else {
      out.push({
        ...base,
        severity: "warning",
        message: `Cell ${c.id}: archiving WAL fails (${wal?.failed_count ?? "?"} failures, last at ${wal?.last_failed_at ?? "?"}; last success ${wal?.last_archived_at ?? "never"}).`,
      });
    }
  }
  return out;
}

function candidates(
  cells: readonly CellFacts[],
  partners: Iterable<PartnerLive>,
  th: AlertThresholds,
  now: Date,
): Candidate[] {
  const out: Candidate[] = [];
  for (const c of cells) {
    out.push(...databaseCandidates(c, th, now));
    out.push(...backupCandidates(c, now));
    if (c.health === "down" && c.state !== "draining") {
      out.push({
        id: `cell_down:${c.id}`,
        rule: "cell_down",
        severity: "critical",
        cell: c.id,
        message: `Cell ${c.id}: no gateway answers /readyz.`,
      });
    }
    const p = c.latest;
    if (!p) continue;
    if (p.tps > 0 && p.errorRate > th.errorRatio) {
      out.push({
        id: `error_ratio:${c.id}`,
        rule: "error_ratio",
        severity: "critical",
        cell: c.id,
        message: `Cell ${c.id}: ${(p.errorRate * 100).toFixed(1)}% of requests fail (5xx).`,
      });
    }
    if (p.p99Ms !== null && p.p99Ms > th.p99Ms) {
      out.push({
        id: `p99_latency:${c.id}`,
        rule: "p99_latency",
        severity: "warning",
        cell: c.id,
        message: `Cell ${c.id}: p99 ${Math.round(p.p99Ms)} ms.`,
      });
    }
    if (p.consumerLag > th.consumerLag) {
      out.push({
        id: `consumer_lag:${c.id}`,
        rule: "consumer_lag",
        severity: "warning",
        cell: c.id,
        message: `Cell ${c.id}: ${p.consumerLag} events waiting for the processors.`,
      });
    }
    const attempts = p.webhooksOk + p.webhooksRetried + p.webhooksDead;
    const failed = p.webhooksRetried + p.webhooksDead;
    if (attempts > 0 && failed / attempts > th.webhookFailureRatio) {
      out.push({
        id: `webhook_failures:${c.id}`,
        rule: "webhook_failures",
        severity: "warning",
        cell: c.id,
        message: `Cell ${c.id}: ${Math.round((failed / attempts) * 100)}% of webhook attempts fail.`,
      });
    }
  }
  for (const p of partners) {
    if (p.limitedStreak >= th.partnerLimitedRounds) {
      out.push({
        id: `partner_rate_limited:${p.id}`,
        rule: "partner_rate_limited",
        severity: "warning",
        cell: p.cell,
        partner: p.id,
        message: `Partner ${p.id} has been at its rate limit for ${p.limitedStreak} rounds.`,
      });
    }
  }
  return out;
}

/** Holds pending and firing alerts across rounds. */
export class AlertEvaluator {
  private readonly pending = new Map<string, { rounds: number; since: Date }>();
  private readonly firing = new Map<string, Alert>();

  constructor(private readonly th: AlertThresholds = defaultThresholds) {}

  evaluate(cells: readonly CellFacts[], partners: Iterable<PartnerLive>, now: Date): Alert[] {
    const seen = new Set<string>();
    for (const c of candidates(cells, partners, this.th, now)) {
      seen.add(c.id);
      const p = this.pending.get(c.id) ?? { rounds: 0, since: now };
      p.rounds++;
      this.pending.set(c.id, p);
      // A cell down is urgent: it fires on the first round the health checker reports it; a
      // failover has already happened, so there is nothing to wait out.
      const needed = c.rule === "cell_down" || c.rule === "database_failover" ? 1 : this.th.forRounds;
      if (p.rounds >= needed) this.firing.set(c.id, { ...c, since: p.since.toISOString() });
    }
    for (const id of [...this.pending.keys()]) {
      if (!seen.has(id)) {
        this.pending.delete(id);
        this.firing.delete(id);
      }
    }
    return this.open();
  }

  open(): Alert[] {
    return [...this.firing.values()].sort((a, b) =>
      a.severity === b.severity ? a.id.localeCompare(b.id) : a.severity === "critical" ? -1 : 1,
    );
  }
}
