// Who may see the dashboard: any admin role that can read (a viewer is enough), through a session
// cookie from the login form (dashboard-login.ts), or `Authorization: Bearer adm_…` for scripts.
// Never a token in the URL. Without either, a page redirects to the login form, the API answers
// 401. Every POST under /dashboard must come from the dashboard's own origin (CSRF).
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { ApiError } from "../../../shared/errors.ts";
import { findAdminActor } from "../../admin-tokens/admin-tokens.ts";
import { roleHas } from "../../admin-tokens/roles.ts";
import type { AdminActor, AppEnv } from "../../app-env.ts";
import { findSessionActor, SESSION_COOKIE } from "../../dashboard-sessions/sessions.ts";

export const LOGIN_PATH = "/dashboard/login";
const bearer = /^Bearer (adm_[A-Za-z0-9_-]{16,200})$/;

export const canWatch = (actor: AdminActor | undefined): actor is AdminActor =>
  actor !== undefined && actor.role !== "system" && actor.role !== "none" && roleHas(actor.role, "read");

/** SameSite=Strict already keeps other sites' requests cookie-less; this refuses them outright. */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  // Our pages send `Referrer-Policy: no-referrer`, under which Chromium posts their forms with
  // `Origin: null`; Sec-Fetch-Site is set by the browser alone, so it still tells same-origin.
  if (origin === undefined || origin === "null") return c.req.header("sec-fetch-site") === "same-origin";
  const host = c.req.header("host");
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

export const dashboardAuth = (): MiddlewareHandler<AppEnv> =>
  async function dashboardAuth(c, next) {
    if (c.req.method === "POST" && !sameOrigin(c)) {
      throw new ApiError("admin_permission_denied", "Cross-origin request refused (CSRF protection).");
    }
    if (c.req.path === LOGIN_PATH) return next();
    const { db, clock } = c.get("deps");
    const token = bearer.exec(c.req.header("authorization") ?? "")?.[1];
    const session = getCookie(c, SESSION_COOKIE);
    const actor = token
      ? await findAdminActor(db, token, clock())
      : session
        ? await findSessionActor(db, session, clock())
        : undefined;
    if (!canWatch(actor)) {
      const page = c.req.method === "GET" && !c.req.path.startsWith("/dashboard/api/");
      if (page && !token) return c.redirect(LOGIN_PATH, 303);
      throw new ApiError(
        "admin_token_required",
        "Log in at /dashboard/login with an admin token (a viewer token is enough), or send `Authorization: Bearer adm_…`.",
      );
    }
    c.set("admin", actor);
    await next();
  };
