import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listAdminTokens } from "../../admin-tokens/admin-tokens.ts";
import type { AppEnv } from "../../app-env.ts";
import { AdminTokenListSchema } from "../../schemas/admin-token.ts";
import { errorResponses } from "../../schemas/common.ts";
import { adminTokenView } from "./view.ts";

export const listAdminTokensRoute = createRoute({
  method: "get",
  path: "/admin/v1/admin-tokens",
  tags: ["Admin tokens"],
  summary: "Every admin token (never the token itself): name, role, expiry, last use, revocation",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "The tokens", content: { "application/json": { schema: AdminTokenListSchema } } },
    ...errorResponses,
  },
});

export function registerListAdminTokens(app: OpenAPIHono<AppEnv>) {
  app.openapi(listAdminTokensRoute, async (c) => {
    const rows = await listAdminTokens(c.get("deps").db);
    return c.json({ object: "list" as const, data: rows.map(adminTokenView), has_more: false }, 200);
  });
}
