// GET /metrics of the control plane itself: process metrics and what the monitor sees (scrape
// rounds, open alerts by rule, each cell's backup health), for Prometheus. Needs the metrics-scrape credential, like the
// cells', workers' and routers' /metrics.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { BackupStatus } from "../../../platform/backup-status.ts";
import { bearerMatcher, credentialRequired } from "../../../shared/http/bearer-auth.ts";
import { registerProcessMetrics } from "../../../shared/telemetry/process-metrics.ts";
import { type Gauge, MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../../../shared/telemetry/registry.ts";
import type { AppEnv } from "../../app-env.ts";
import { newestBackupAt, statusCheckedAt } from "../../backups/backup-health.ts";
import { alertRules } from "../../monitoring/alerts.ts";
import type { Monitor } from "../../monitoring/monitor.ts";

export function registerControlPlaneMetrics(app: OpenAPIHono<AppEnv>, monitor: Monitor | undefined) {
  const registry = new MetricsRegistry({ service: "control-plane" });
  registerProcessMetrics(registry);
  const rounds = registry.gauge("cellpay_monitor_rounds", "Monitoring rounds completed since start.");
  const alerts = registry.gauge("cellpay_alerts_open", "Open alerts by rule.", ["rule"]);
  rounds.collect = (g) => g.set([], monitor?.rounds ?? 0);
  alerts.collect = (g) => {
    const open = monitor?.openAlerts() ?? [];
    for (const rule of alertRules) g.set([rule], open.filter((a) => a.rule === rule).length);
  };
  registerBackupGauges(registry, monitor);
  app.get("/metrics", async (c) => {
    if (!bearerMatcher(c.get("deps").credentials.metrics)(c.req.header("authorization"))) {
      throw credentialRequired("metrics-scrape");
    }
    return c.body(await registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
}

type WalArchive = NonNullable<BackupStatus["wal_archive"]>;

/** Per cell with backups configured, from the status file the monitor read in its last round. */
function registerBackupGauges(registry: MetricsRegistry, monitor: Monitor | undefined) {
  const age = registry.gauge(
    "cellpay_backup_age_seconds",
    "Seconds since the newest backup (full, diff or incr) finished; +Inf when there is none.",
    ["cell"],
  );
  const statusAge = registry.gauge(
    "cellpay_backup_status_age_seconds",
    "Seconds since the backup scheduler last refreshed the WAL archive figures; +Inf when never.",
    ["cell"],
  );
  const lag = registry.gauge(
    "cellpay_wal_archive_lag_seconds",
    "Age of the oldest WAL segment waiting to be archived (0 when none waits).",
    ["cell"],
  );
  const pending = registry.gauge(
    "cellpay_wal_archive_pending_segments",
    "WAL segments written and waiting to be archived.",
    ["cell"],
  );
  const failures = registry.gauge(
    "cellpay_backup_consecutive_failures",
    "Backup runs or verifications that failed since the last one that passed.",
    ["cell"],
  );
  const archiveFailing = registry.gauge(
    "cellpay_wal_archive_failing",
    "1 when the archiver's last failure is newer than its last success.",
    ["cell"],
  );
  const cells = () =>
    [...(monitor?.cells.values() ?? [])].flatMap((c) => (c.backups?.configured ? [c.backups] : []));
  age.collect = (g) => {
    g.reset();
    const now = Date.now();
    for (const h of cells()) {
      const newest = newestBackupAt(h.status);
      g.set([h.cell_id], newest === undefined ? Number.POSITIVE_INFINITY : (now - newest) / 1000);
    }
  };
  statusAge.collect = (g) => {
    g.reset();
    const now = Date.now();
    for (const h of cells()) {
      const checked = statusCheckedAt(h.status);
      g.set([h.cell_id], checked === undefined ? Number.POSITIVE_INFINITY : (now - checked) / 1000);
    }
  };
  const fromWal = (pick: (w: WalArchive) => number) => (g: Gauge) => {
    g.reset();
    for (const h of cells()) if (h.status?.wal_archive) g.set([h.cell_id], pick(h.status.wal_archive));
  };
  lag.collect = fromWal((w) => w.lag_s);
  pending.collect = fromWal((w) => w.pending_segments);
  // backupHealth() is the one judge of "failing": the gauge says what the alert rule says.
  archiveFailing.collect = (g) => {
    g.reset();
    for (const h of cells())
      if (h.status?.wal_archive) g.set([h.cell_id], h.alerts.includes("wal_archive_failing") ? 1 : 0);
  };
  failures.collect = (g) => {
    g.reset();
    for (const h of cells()) g.set([h.cell_id], h.status?.consecutive_failures ?? 0);
  };
}
