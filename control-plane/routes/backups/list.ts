// GET /admin/v1/backups: every registered cell's backup health in one call (the per-cell view is
// GET /admin/v1/cells/:id/backups), judged by the same thresholds the alert rules use.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { BackupHealthListSchema, backupHealth } from "../../backups/backup-health.ts";
import { cells } from "../../db/schema.ts";
import { errorResponses } from "../../schemas/common.ts";

export const listBackupsRoute = createRoute({
  method: "get",
  path: "/admin/v1/backups",
  tags: ["Cells"],
  summary: "Every cell's backup health: last full/diff/incr, failures, WAL archive lag, last restore",
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: "One entry per registered cell, by id",
      content: { "application/json": { schema: BackupHealthListSchema } },
    },
    ...errorResponses,
  },
});

export function registerListBackups(app: OpenAPIHono<AppEnv>) {
  app.openapi(listBackupsRoute, async (c) => {
    const deps = c.get("deps");
    const rows = await deps.db.select({ id: cells.id }).from(cells).orderBy(cells.id);
    const now = deps.clock();
    const data = await Promise.all(rows.map((r) => backupHealth(deps.backupDir, r.id, now)));
    return c.json({ object: "list" as const, data, has_more: false }, 200);
  });
}
