// GET /admin/v1/audit?from=&to=&format=json|csv: the trail in chain order with each row's
// prev_hash and hash, for auditors and for `npm run admin -- audit verify`, which recomputes them.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env.ts";
import type { ChainedAuditRow } from "../../audit/audit-chain.ts";
import { exportAudit } from "../../audit/audit-log.ts";
import { AuditExportSchema, ExportAuditQuerySchema } from "../../schemas/audit.ts";
import { errorResponses } from "../../schemas/common.ts";

export const exportAuditRoute = createRoute({
  method: "get",
  path: "/admin/v1/audit",
  tags: ["Audit log"],
  summary: "Export the audit trail, oldest first, with its hash chain (JSON or CSV)",
  description:
    "Pages of at most `limit` rows: pass the last id as `after_id` while `has_more` is true (CSV: the `cellpay-has-more` header).",
  security: [{ bearer: [] }],
  request: { query: ExportAuditQuerySchema },
  responses: {
    200: {
      description: "The rows",
      content: {
        "application/json": { schema: AuditExportSchema },
        "text/csv": { schema: { type: "string" } },
      },
    },
    ...errorResponses,
  },
});

const columns = [
  "id",
  "created_at",
  "actor",
  "actor_name",
  "actor_role",
  "source_ip",
  "request_id",
  "action",
  "target",
  "reason",
  "status",
  "before",
  "after",
  "prev_hash",
  "hash",
] as const satisfies readonly (keyof ChainedAuditRow)[];

/** RFC 4180 quoting, and a leading `'` on what a spreadsheet would run as a formula. */
function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ""
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function registerExportAudit(app: OpenAPIHono<AppEnv>) {
  app.openapi(exportAuditRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await exportAudit(c.get("deps").db, {
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      afterId: q.after_id,
      limit: q.limit,
    });
    if (q.format === "csv") {
      const lines = [columns.join(","), ...page.rows.map((r) => columns.map((k) => csvCell(r[k])).join(","))];
      return c.body(`${lines.join("\r\n")}\r\n`, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": 'attachment; filename="cellpay-audit.csv"',
        "cellpay-has-more": String(page.hasMore),
      });
    }
    return c.json(
      { object: "audit_export" as const, data: page.rows, has_more: page.hasMore, chain_head: page.head },
      200,
    );
  });
}
