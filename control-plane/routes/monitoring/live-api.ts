// The dashboard's data, polled by its pages every few seconds: GET /dashboard/api/overview (cells
// with their series, database layout and backup health, routers, top partners by traffic and by
// errors, moves and drains in progress, open alerts) and GET /dashboard/api/partners/:id. Top
// lists are cut to 10 here, so the page's size does not grow with the number of partners.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { inArray, notInArray } from "drizzle-orm";
import { missingSyncStandby } from "../../../shared/cell-api/sync-standby.ts";
import { notFound } from "../../../shared/errors.ts";
import type { AppEnv } from "../../app-env.ts";
import { findCell } from "../../cells/cell-registry.ts";
import { drains, moves, partners } from "../../db/schema.ts";
import type { PartnerLive } from "../../monitoring/partner-rollup.ts";
import { unfinishedStatuses } from "../../moves/move-registry.ts";
import { partnersByVersion } from "../../partners/partners-by-version.ts";
import { findPartnerOr404 } from "./partner-lookup.ts";

const TOP = 10;
const partnerRow = (p: PartnerLive, names: Map<string, string>) => ({
  id: p.id,
  name: names.get(p.id) ?? null,
  cell: p.cell,
  rps: p.rps,
  errors_per_sec: p.errorsPerSec,
  error_rate: p.errorRate,
  rate_limited_per_sec: p.rateLimitedPerSec,
  p50_ms: p.p50Ms,
  p99_ms: p.p99Ms,
});

export function registerLiveApi(app: OpenAPIHono<AppEnv>) {
  app.get("/dashboard/api/overview", async (c) => {
    const { monitor, db } = c.get("deps");
    if (!monitor) throw notFound("monitor", "default");
    const live = [...monitor.partners.values()];
    const byTraffic = [...live].sort((a, b) => b.rps - a.rps).slice(0, TOP);
    const byErrors = live
      .filter((p) => p.errorsPerSec > 0)
      .sort((a, b) => b.errorsPerSec - a.errorsPerSec)
      .slice(0, TOP);
    const ids = [...new Set([...byTraffic, ...byErrors].map((p) => p.id))];
    const [names, movesOpen, drainsOpen, versions] = await Promise.all([
      ids.length
        ? db.select({ id: partners.id, name: partners.name }).from(partners).where(inArray(partners.id, ids))
        : Promise.resolve([]),
      db.select().from(moves).where(inArray(moves.status, unfinishedStatuses)),
      db
        .select()
        .from(drains)
        .where(notInArray(drains.status, ["completed", "failed"])),
      partnersByVersion(db),
    ]);
    const nameOf = new Map(names.map((n) => [n.id, n.name]));
    return c.json({
      generated_at: new Date().toISOString(),
      interval_ms: monitor.opts.intervalMs,
      rounds: monitor.rounds,
      cells: [...monitor.cells.values()].map((cell) => ({
        id: cell.id,
        state: cell.state,
        health: cell.health,
        gateways_up: cell.gatewaysUp,
        gateways_total: cell.gatewaysTotal,
        partner_count: cell.partnerCount,
        database: cell.database
          ? {
              ...cell.database,
              sync_standby_missing: missingSyncStandby(cell.database) ?? null,
              last_failover: cell.lastFailover ?? null,
            }
          : null,
        // The same shape as GET /admin/v1/backups (BackupHealthSchema), as read in the last round.
        backups: cell.backups ?? null,
        latest: cell.series.at(-1) ?? null,
        series: {
          t: cell.series.map((p) => Math.round(p.t / 1000)),
          tps: cell.series.map((p) => p.tps),
          error_rate: cell.series.map((p) => p.errorRate),
          p50_ms: cell.series.map((p) => p.p50Ms),
          p99_ms: cell.series.map((p) => p.p99Ms),
          consumer_lag: cell.series.map((p) => p.consumerLag),
        },
      })),
      routers: [...monitor.routers.values()],
      partners_with_traffic: live.length,
      top_by_traffic: byTraffic.map((p) => partnerRow(p, nameOf)),
      top_by_errors: byErrors.map((p) => partnerRow(p, nameOf)),
      moves: movesOpen.map((m) => ({
        id: m.id,
        partner: m.partnerId,
        from: m.sourceCellId,
        to: m.targetCellId,
        status: m.status,
        progress: m.progress,
      })),
      drains: drainsOpen.map((d) => ({ id: d.id, cell: d.cellId, status: d.status, progress: d.progress })),
      alerts: monitor.openAlerts(),
      api_versions: versions,
    });
  });

  app.get("/dashboard/api/partners/:id", async (c) => {
    const { monitor, db } = c.get("deps");
    const partner = await findPartnerOr404(db, c.req.param("id"));
    const live = monitor?.partners.get(partner.id);
    // Webhook health lives in the partner's cell; an unreachable cell leaves it null.
    const cell = await findCell(db, partner.cellId);
    const webhooks = cell
      ? await c
          .get("deps")
          .cellClients.forCell(cell)
          .traffic(partner.id)
          .then((t) => t.webhooks)
          .catch(() => null)
      : null;
    return c.json({
      id: partner.id,
      name: partner.name,
      status: partner.status,
      cell: partner.cellId,
      frozen: partner.frozen,
      limits: partner.settings,
      webhooks,
      live: live ? partnerRow(live, new Map()) : null,
      series: {
        t: live?.series.map((p) => Math.round(p.t / 1000)) ?? [],
        rps: live?.series.map((p) => p.rps) ?? [],
        error_rate: live?.series.map((p) => p.errorRate) ?? [],
        p99_ms: live?.series.map((p) => p.p99Ms) ?? [],
      },
      alerts: monitor?.openAlerts().filter((a) => a.partner === partner.id) ?? [],
    });
  });
}
