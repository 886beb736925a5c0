// GET /admin/v1/alerts: the alerts open now (the dashboard shows the same list).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { alertRules } from "../../monitoring/alerts.ts";
import { errorResponses } from "../../schemas/common.ts";

const AlertSchema = z
  .object({
    id: z.string(),
    rule: z.enum(alertRules),
    severity: z.enum(["critical", "warning"]),
    cell: z.string().optional(),
    partner: z.string().optional(),
    message: z.string(),
    since: z.string(),
  })
  .openapi("Alert");

const AlertListSchema = z.object({ object: z.literal("list"), data: z.array(AlertSchema) });

export const listAlertsRoute = createRoute({
  method: "get",
  path: "/admin/v1/alerts",
  tags: ["Monitoring"],
  summary: "List the alerts open now (rules evaluated after every monitoring round)",
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: "Open alerts, critical first",
      content: { "application/json": { schema: AlertListSchema } },
    },
    ...errorResponses,
  },
});

export function registerListAlerts(app: OpenAPIHono<AppEnv>) {
  app.openapi(listAlertsRoute, (c) => {
    const data = c.get("deps").monitor?.openAlerts() ?? [];
    return c.json({ object: "list" as const, data }, 200);
  });
}
