import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { BackupHealthSchema, backupHealth } from "../../backups/backup-health.ts";
import { getCellOr404 } from "../../cells/cell-registry.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";

export const retrieveCellBackupsRoute = createRoute({
  method: "get",
  path: "/admin/v1/cells/{id}/backups",
  tags: ["Cells"],
  summary: "A cell's backup health: last full/diff/incr, failures, WAL archive lag, last restore",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "Backup health", content: { "application/json": { schema: BackupHealthSchema } } },
    ...errorResponses,
  },
});

export function registerRetrieveCellBackups(app: OpenAPIHono<AppEnv>) {
  app.openapi(retrieveCellBackupsRoute, async (c) => {
    const deps = c.get("deps");
    const cell = await getCellOr404(deps.db, c.req.valid("param").id);
    return c.json(await backupHealth(deps.backupDir, cell.id, deps.clock()), 200);
  });
}
