// POST /admin/v1/admin-tokens: a named token with one role and an expiry, shown once. A token can
// only mint a role whose permissions it holds, and no token that outlives it; the bootstrap token
// can only mint the first admin.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { ApiError, invalidRequest } from "../../../shared/errors.ts";
import { createAdminToken } from "../../admin-tokens/admin-tokens.ts";
import { canMint } from "../../admin-tokens/roles.ts";
import type { AppEnv } from "../../app-env.ts";
import { writeAudit } from "../../audit/audit-log.ts";
import {
  CreateAdminTokenBodySchema,
  CreatedAdminTokenSchema,
  MAX_ADMIN_TOKEN_DAYS,
} from "../../schemas/admin-token.ts";
import { errorResponses } from "../../schemas/common.ts";
import { adminTokenView } from "./view.ts";

export const createAdminTokenRoute = createRoute({
  method: "post",
  path: "/admin/v1/admin-tokens",
  tags: ["Admin tokens"],
  summary: "Create an admin token (admin role; the bootstrap token only for the first admin)",
  security: [{ bearer: [] }],
  request: {
    body: { required: true, content: { "application/json": { schema: CreateAdminTokenBodySchema } } },
  },
  responses: {
    201: {
      description: "The token, shown once",
      content: { "application/json": { schema: CreatedAdminTokenSchema } },
    },
    ...errorResponses,
  },
});

export function registerCreateAdminToken(app: OpenAPIHono<AppEnv>) {
  app.openapi(createAdminTokenRoute, async (c) => {
    const body = c.req.valid("json");
    const { db, clock } = c.get("deps");
    const actor = c.get("admin");
    const now = clock();
    const expiresAt = new Date(body.expires_at);
    if (expiresAt.getTime() <= now.getTime())
      throw invalidRequest("expires_at", "expires_at must be in the future.");
    if (expiresAt.getTime() > now.getTime() + MAX_ADMIN_TOKEN_DAYS * 86_400_000) {
      throw invalidRequest("expires_at", `expires_at must be at most ${MAX_ADMIN_TOKEN_DAYS} days ahead.`);
    }
    if (
      actor.role === "bootstrap"
        ? body.role !== "admin"
        : actor.role === "system" || actor.role === "none" || !canMint(actor.role, body.role)
    ) {
      throw new ApiError(
        "admin_permission_denied",
        actor.role === "bootstrap"
          ? "The bootstrap token can only create an admin token."
          : `Role '${actor.role}' cannot mint role '${body.role}': a token can only mint roles it holds.`,
        { param: "role" },
      );
    }
    if (actor.expiresAt && expiresAt > actor.expiresAt) {
      throw invalidRequest("expires_at", "A token cannot mint one that outlives it.");
    }
    const created = await db.transaction(async (tx) => {
      const made = await createAdminToken(tx, {
        name: body.name,
        role: body.role,
        expiresAt,
        createdBy: actor.tokenId,
      });
      await writeAudit(tx, actor, {
        action: "admin_token.create",
        target: made.row.id,
        before: null,
        after: { name: made.row.name, role: made.row.role, expires_at: body.expires_at },
        status: 201,
      });
      return made;
    });
    return c.json({ ...adminTokenView(created.row), token: created.token }, 201);
  });
}
