// The control plane's HTTP API. Read top-down: context and errors, then health and docs, the
// routers' internal endpoint, then the admin API behind admin tokens, one registrar per route.
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../shared/errors.ts";
import type { AppEnv } from "./app-env.ts";
import type { ControlPlaneDeps } from "./deps.ts";
import { notFoundOr405, onError } from "./error-handler.ts";
import { adminAuth } from "./middleware/admin-auth.ts";
import { requestContext } from "./middleware/request-context.ts";
import { registerCreateAdminToken } from "./routes/admin-tokens/create.ts";
import { registerListAdminTokens } from "./routes/admin-tokens/list.ts";
import { registerRevokeAdminToken } from "./routes/admin-tokens/revoke.ts";
import { registerExportAudit } from "./routes/audit-log/export.ts";
import { registerListAuditLog } from "./routes/audit-log/list.ts";
import { registerListBackups } from "./routes/backups/list.ts";
import { registerRetrieveCellBackups } from "./routes/cells/backups.ts";
import { registerFailOverCell } from "./routes/cells/failover.ts";
import { registerListCells } from "./routes/cells/list.ts";
import { registerRegisterCell } from "./routes/cells/register.ts";
import { registerRetrieveCell } from "./routes/cells/retrieve.ts";
import { registerSetCellState } from "./routes/cells/set-state.ts";
import { registerDocs } from "./routes/docs.ts";
import { registerStartDrain } from "./routes/drains/create.ts";
import { registerRetrieveDrain } from "./routes/drains/retrieve.ts";
import { registerRedriveEvents } from "./routes/events/redrive.ts";
import { registerHealth } from "./routes/health.ts";
import { registerInternalRoutingTable } from "./routes/internal/routing-table.ts";
import { registerDestroyRetiredKeys } from "./routes/keys/destroy-retired.ts";
import { registerRotateDataKey } from "./routes/keys/rotate-data.ts";
import { registerRotateMasterKey } from "./routes/keys/rotate-master.ts";
import { registerCellKeyStatus } from "./routes/keys/status.ts";
import { registerListAlerts } from "./routes/monitoring/alerts.ts";
import { registerDashboard } from "./routes/monitoring/dashboard.ts";
import { registerLiveApi } from "./routes/monitoring/live-api.ts";
import { registerControlPlaneMetrics } from "./routes/monitoring/metrics.ts";
import { registerStartMove } from "./routes/moves/create.ts";
import { registerRetrieveMove } from "./routes/moves/retrieve.ts";
import { registerCreatePartner } from "./routes/partners/create.ts";
import { registerEnablePartnerLive } from "./routes/partners/enable-live.ts";
import { registerListPartners } from "./routes/partners/list.ts";
import { registerListPartnerKeys } from "./routes/partners/list-keys.ts";
import { registerResumePartner } from "./routes/partners/resume.ts";
import { registerRetrievePartner } from "./routes/partners/retrieve.ts";
import { registerRotatePartnerKey } from "./routes/partners/rotate-key.ts";
import { registerSetPartnerLimits } from "./routes/partners/set-limits.ts";
import { registerSetPartnerVersion } from "./routes/partners/set-version.ts";
import { registerSuspendPartner } from "./routes/partners/suspend.ts";
import { registerRetrieveRoutingTable } from "./routes/routing-table/retrieve.ts";
import { validationHook } from "./validation-hook.ts";

export function createControlPlaneApp(deps: ControlPlaneDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(async function injectDeps(c, next) {
    c.set("deps", deps);
    await next();
  });
  app.use(requestContext());
  app.onError(onError);
  app.notFound(notFoundOr405(() => app.routes));

  registerHealth(app);
  registerDocs(app); // before admin auth: the API's description is public
  registerInternalRoutingTable(app);
  registerControlPlaneMetrics(app, deps.monitor);
  registerDashboard(app); // behind its own auth: admin token as bearer or cookie
  registerLiveApi(app);

  app.use(
    "/admin/v1/*",
    bodyLimit({
      maxSize: 64 * 1024,
      onError: () => {
        throw new ApiError("payload_too_large", "The request body is larger than 64 KiB.");
      },
    }),
    adminAuth(), // identity, the route's permission, `reason`, and the audit row of every call
  );
  registerCreatePartner(app);
  registerListPartners(app);
  registerRetrievePartner(app);
  registerSuspendPartner(app);
  registerResumePartner(app);
  registerRotatePartnerKey(app);
  registerEnablePartnerLive(app);
  registerListPartnerKeys(app);
  registerSetPartnerLimits(app);
  registerSetPartnerVersion(app);
  registerListCells(app);
  registerRetrieveCell(app);
  registerRetrieveCellBackups(app);
  registerListBackups(app);
  registerRegisterCell(app);
  registerSetCellState(app);
  registerFailOverCell(app);
  registerRedriveEvents(app);
  registerListAuditLog(app);
  registerExportAudit(app);
  registerCreateAdminToken(app);
  registerListAdminTokens(app);
  registerRevokeAdminToken(app);
  registerRetrieveRoutingTable(app);
  registerStartMove(app);
  registerRetrieveMove(app);
  registerStartDrain(app);
  registerRetrieveDrain(app);
  registerListAlerts(app);
  registerRotateMasterKey(app);
  registerRotateDataKey(app);
  registerCellKeyStatus(app);
  registerDestroyRetiredKeys(app);
  return app;
}
