// Admin API authentication: `Authorization: Bearer adm_…`, checked against the stored hashes.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../shared/errors.ts";
import { findAdminActor } from "../admin-tokens/admin-tokens.ts";
import type { AppEnv } from "../app-env.ts";

const bearer = /^Bearer (adm_[A-Za-z0-9_-]{16,200})$/;

export const adminAuth = (): MiddlewareHandler<AppEnv> =>
  async function adminAuth(c, next) {
    const token = bearer.exec(c.req.header("authorization") ?? "")?.[1];
    const actor = token ? await findAdminActor(c.get("deps").db, token) : undefined;
    if (!actor) {
      throw new ApiError(
        "admin_token_required",
        token
          ? "The admin token is unknown or revoked."
          : "Send an admin token: `Authorization: Bearer adm_…` (partner keys are not accepted here).",
      );
    }
    c.set("admin", actor);
    await next();
  };
