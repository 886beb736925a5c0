import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { notFound } from "../../../shared/errors.ts";
import { revokeAdminToken } from "../../admin-tokens/admin-tokens.ts";
import type { AppEnv } from "../../app-env.ts";
import { writeAudit } from "../../audit/audit-log.ts";
import { AdminTokenSchema } from "../../schemas/admin-token.ts";
import { errorResponses, IdParamSchema } from "../../schemas/common.ts";
import { adminTokenView } from "./view.ts";

export const revokeAdminTokenRoute = createRoute({
  method: "delete",
  path: "/admin/v1/admin-tokens/{id}",
  tags: ["Admin tokens"],
  summary: "Revoke an admin token (at once; idempotent); its dashboard sessions end with it",
  security: [{ bearer: [] }],
  request: { params: IdParamSchema },
  responses: {
    200: { description: "The token, revoked", content: { "application/json": { schema: AdminTokenSchema } } },
    ...errorResponses,
  },
});

export function registerRevokeAdminToken(app: OpenAPIHono<AppEnv>) {
  app.openapi(revokeAdminTokenRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const id = c.req.valid("param").id;
    const row = await db.transaction(async (tx) => {
      const revoked = await revokeAdminToken(tx, id, clock());
      if (!revoked) throw notFound("admin token", id);
      await writeAudit(tx, c.get("admin"), {
        action: "admin_token.revoke",
        target: id,
        before: null,
        after: { revoked_at: revoked.revokedAt?.toISOString() ?? null },
        status: 200,
      });
      return revoked;
    });
    return c.json(adminTokenView(row), 200);
  });
}
