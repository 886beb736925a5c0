import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import { listAudit } from "../../audit/audit-log.ts";
import { AuditListSchema, ListAuditQuerySchema } from "../../schemas/audit.ts";
import { errorResponses } from "../../schemas/common.ts";

export const listAuditLogRoute = createRoute({
  method: "get",
  path: "/admin/v1/audit-log",
  tags: ["Audit log"],
  summary: "Every admin action, newest first: who, what, target, before/after, when",
  security: [{ bearer: [] }],
  request: { query: ListAuditQuerySchema },
  responses: {
    200: { description: "A page of entries", content: { "application/json": { schema: AuditListSchema } } },
    ...errorResponses,
  },
});

export function registerListAuditLog(app: OpenAPIHono<AppEnv>) {
  app.openapi(listAuditLogRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listAudit(c.get("deps").db, { limit: q.limit, startingAfter: q.starting_after });
    const data = rows.slice(0, q.limit).map((r) => ({
      object: "audit_entry" as const,
      id: r.id,
      actor: { token_id: r.actor, name: r.actorName, role: r.actorRole },
      source_ip: r.sourceIp,
      request_id: r.requestId,
      action: r.action,
      target: r.target,
      reason: r.reason,
      status: r.status,
      before: r.before,
      after: r.after,
      created: Math.floor(r.createdAt.getTime() / 1000),
    }));
    return c.json({ object: "list" as const, data, has_more: rows.length > q.limit }, 200);
  });
}
