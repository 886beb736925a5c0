// The control plane's live view of the platform: every few seconds it scrapes each registered
// cell's gateways (/metrics and /metrics/partners on their internal listeners, from the cell
// registry), the cells' worker metrics given by CELL_METRICS_TARGETS, and the routers given by
// ROUTER_URLS (static targets, like Prometheus' static_configs: routers do not register themselves), then rolls the figures up
// per cell, per router and per partner, keeps short time series, reads each cell's backup status
// file (backups/backup-health.ts) and evaluates the alert rules.
import type { DatabaseLayout } from "../../shared/cell-api/contract.ts";
import type { PartnerStatsSnapshot } from "../../shared/telemetry/partner-stats.ts";
import { type BackupHealth, backupHealth } from "../backups/backup-health.ts";
import { partnerCountsByCell } from "../cells/cell-registry.ts";
import { cells as cellsTable, type DatabaseFailover } from "../db/schema.ts";
import type { ControlPlaneDeps } from "../deps.ts";
import { type Alert, AlertEvaluator, type AlertThresholds, defaultThresholds } from "./alerts.ts";
import { type CellPoint, type CellTotals, cellPoint, cellTotals } from "./cell-rollup.ts";
import { addWindow, applyWindow, type PartnerLive } from "./partner-rollup.ts";
import { parsePrometheusText, type Sample, sum } from "./prometheus-text.ts";

export interface MonitorOptions {
  intervalMs: number;
  routerUrls: string[];
  /** Worker /metrics URLs by cell id (relay, processors). */
  workerTargets: Record<string, string[]>;
  thresholds?: Partial<AlertThresholds>;
}

export interface CellLive {
  id: string;
  state: string;
  health: string;
  gatewaysUp: number;
  gatewaysTotal: number;
  partnerCount: number;
  /** From the health checker (cells.health): the cell's database role layout and last failover. */
  database: DatabaseLayout | undefined;
  lastFailover: DatabaseFailover | undefined;
  /** The stanza's status file, read each round (undefined when backups are not configured). */
  backups: BackupHealth | undefined;
  series: CellPoint[];
}

export interface RouterLive {
  url: string;
  up: boolean;
  rps: number;
  routingVersion: number;
  breakers: Record<string, number>;
}

const CELL_POINTS = 300;

export class Monitor {
  readonly cells = new Map<string, CellLive>();
  readonly routers = new Map<string, RouterLive>();
  readonly partners = new Map<string, PartnerLive>();
  private readonly totals = new Map<string, CellTotals>();
  private readonly partnerSnaps = new Map<string, PartnerStatsSnapshot>();
  private readonly routerCounts = new Map<string, number>();
  private readonly alerts: AlertEvaluator;
  private lastRound = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  rounds = 0;

  constructor(
    private readonly deps: ControlPlaneDeps,
    readonly opts: MonitorOptions,
  ) {
    this.alerts = new AlertEvaluator({ ...defaultThresholds, ...opts.thresholds });
  }

  start(): void {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.running = this.round()
        .catch((err: unknown) => this.deps.logger.warn({ err }, "monitoring round failed"))
        .finally(() => {
          busy = false;
        });
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  openAlerts(): Alert[] {
    return this.alerts.open();
  }

  private async fetchText(url: string): Promise<string | undefined> {
    try {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${this.deps.credentials.metrics}` },
        signal: AbortSignal.timeout(Math.max(500, this.opts.intervalMs - 200)),
      });
      return res.ok ? await res.text() : undefined;
    } catch {
      return undefined;
    }
  }

  /** One scrape of every target, then rollups and alerts. */
  async round(): Promise<void> {
    const now = Date.now();
    const seconds = this.lastRound ? (now - this.lastRound) / 1000 : 0;
    this.lastRound = now;
    const [rows, counts] = await Promise.all([
      this.deps.db.select().from(cellsTable).orderBy(cellsTable.id),
      partnerCountsByCell(this.deps.db),
    ]);
    await Promise.all([
      ...rows.map(async (row) => {
        const gatewayScrapes = await Promise.all(
          row.internalGateways.map(async (base) => {
            const [text, partners] = await Promise.all([
              this.fetchText(`${base}/metrics`),
              this.fetchText(`${base}/metrics/partners`),
            ]);
            return { base, samples: text ? parsePrometheusText(text) : undefined, partners };
          }),
        );
        const [workerTexts, backups] = await Promise.all([
          Promise.all((this.opts.workerTargets[row.id] ?? []).map((u) => this.fetchText(u))),
          this.deps.backupDir === undefined
            ? undefined
            : backupHealth(this.deps.backupDir, row.id, new Date(now)),
        ]);
        const gw: Sample[] = gatewayScrapes.flatMap((g) => g.samples ?? []);
        const wk: Sample[] = workerTexts.flatMap((t) => (t ? parsePrometheusText(t) : []));
        const totals = cellTotals(gw, wk);
        const point = cellPoint(now, seconds, this.totals.get(row.id), totals, gw, wk);
        this.totals.set(row.id, totals);
        const live: CellLive = this.cells.get(row.id) ?? {
          id: row.id,
          state: row.state,
          health: row.health.status,
          gatewaysUp: 0,
          gatewaysTotal: 0,
          partnerCount: 0,
          database: undefined,
          lastFailover: undefined,
          backups: undefined,
          series: [],
        };
        live.state = row.state;
        live.health = row.health.status;
        live.gatewaysTotal = row.internalGateways.length;
        live.gatewaysUp = gatewayScrapes.filter((g) => g.samples).length;
        live.partnerCount = counts.get(row.id) ?? 0;
        live.database = row.health.database;
        live.lastFailover = row.health.last_failover;
        live.backups = backups;
        live.series.push(point);
        if (live.series.length > CELL_POINTS) live.series.shift();
        this.cells.set(row.id, live);

        const windows = new Map();
        for (const g of gatewayScrapes) {
          if (!g.partners) continue;
          const snap = JSON.parse(g.partners) as PartnerStatsSnapshot;
          addWindow(windows, this.partnerSnaps.get(g.base), snap);
          this.partnerSnaps.set(g.base, snap);
        }
        applyWindow(this.partners, row.id, windows, now, seconds);
      }),
      ...this.opts.routerUrls.map(async (url) => {
        const text = await this.fetchText(`${url}/metrics`);
        const samples = text ? parsePrometheusText(text) : [];
        const count = sum(
          samples,
          "cellpay_router_request_duration_seconds_count",
          (l) => l.route === "partner_api",
        );
        const before = this.routerCounts.get(url);
        this.routerCounts.set(url, count);
        const breakers: Record<string, number> = {};
        for (const s of samples)
          if (s.name === "cellpay_router_breaker_state") breakers[s.labels.cell ?? "?"] = s.value;
        this.routers.set(url, {
          url,
          up: text !== undefined,
          rps:
            before !== undefined && seconds > 0
              ? Math.round(((count >= before ? count - before : count) / seconds) * 10) / 10
              : 0,
          routingVersion: sum(samples, "cellpay_router_routing_version"),
          breakers,
        });
      }),
    ]);
    const known = new Set(rows.map((r) => r.id));
    for (const id of this.cells.keys()) if (!known.has(id)) this.cells.delete(id);
    this.alerts.evaluate(
      [...this.cells.values()].map((c) => ({
        id: c.id,
        health: c.health,
        state: c.state,
        latest: c.series.at(-1),
        database: c.database,
        lastFailover: c.lastFailover,
        backups: c.backups,
      })),
      this.partners.values(),
      new Date(now),
    );
    this.rounds++;
  }
}
