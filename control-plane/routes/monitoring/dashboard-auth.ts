// Who may see the dashboard: an admin token, as `Authorization: Bearer adm_…` (scripts) or as the
// `cellpay_admin` cookie. Opening `/dashboard?token=adm_…` once sets that cookie (HttpOnly,
// SameSite=Strict, limited to /dashboard) and redirects to the bare URL, so the token leaves the
// address bar and the browser history; the page's polling then rides on the cookie.
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { ApiError } from "../../../shared/errors.ts";
import { findAdminActor } from "../../admin-tokens/admin-tokens.ts";
import type { AppEnv } from "../../app-env.ts";

const COOKIE = "cellpay_admin";
const tokenShape = /^adm_[A-Za-z0-9_-]{16,200}$/;

export const dashboardAuth = (): MiddlewareHandler<AppEnv> =>
  async function dashboardAuth(c, next) {
    const fromQuery = c.req.query("token");
    if (fromQuery && tokenShape.test(fromQuery) && c.req.method === "GET") {
      const actor = await findAdminActor(c.get("deps").db, fromQuery);
      if (actor) {
        setCookie(c, COOKIE, fromQuery, {
          httpOnly: true,
          sameSite: "Strict",
          path: "/dashboard",
          maxAge: 8 * 3600,
        });
        const url = new URL(c.req.url);
        url.searchParams.delete("token");
        return c.redirect(url.pathname + url.search, 303);
      }
    }
    const bearer = /^Bearer (adm_[A-Za-z0-9_-]{16,200})$/.exec(c.req.header("authorization") ?? "")?.[1];
    const token = bearer ?? getCookie(c, COOKIE);
    const actor = token && tokenShape.test(token) ? await findAdminActor(c.get("deps").db, token) : undefined;
    if (!actor) {
      throw new ApiError(
        "admin_token_required",
        "Open /dashboard?token=adm_… once with an admin token (it is kept in a cookie), or send `Authorization: Bearer adm_…`.",
      );
    }
    c.set("admin", actor);
    await next();
  };
