// GET /dashboard/login (the form), POST /dashboard/login (token in the form body, never in the
// URL: a session cookie for SESSION_MINUTES), POST /dashboard/logout. Logins, failed ones
// included, and logouts are audited; the page views and polls between them are not (they show
// aggregates, no cardholder data, and would fill the trail every few seconds).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { pageSecurityHeaders } from "../../../shared/page-security-headers.ts";
import { findAdminActor } from "../../admin-tokens/admin-tokens.ts";
import type { AdminActor, AppEnv } from "../../app-env.ts";
import { writeAudit } from "../../audit/audit-log.ts";
import {
  createSession,
  endSession,
  findSessionActor,
  SESSION_COOKIE,
  SESSION_MINUTES,
} from "../../dashboard-sessions/sessions.ts";
import { sourceAddress } from "../../middleware/source-address.ts";
import { canWatch, LOGIN_PATH } from "./dashboard-auth.ts";

const htmlType = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };
/** The login form's headers: the same CSP, no-framing and no-Referer rules as the dashboard's pages. */
const headersOf = (page: string) => ({ ...htmlType, ...pageSecurityHeaders(page) });

function loginPage(message = ""): string {
  const note = message ? `<p class="error" role="alert">${message}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>cellpay · log in</title>
<style>body{font:14px system-ui,sans-serif;margin:40px auto;max-width:420px}input{width:100%;padding:6px;margin:6px 0;box-sizing:border-box}.error{color:#c5221f}</style>
</head><body><h1>cellpay dashboard</h1>${note}
<form method="post" action="${LOGIN_PATH}"><label for="token">Admin token (a viewer token is enough)</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Log in</button></form></body></html>`;
}

/** Secure when the dashboard is served over TLS (directly, or by a proxy that says so). */
const overTls = (c: Context) =>
  new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";

const audit = (c: Context<AppEnv>, actor: AdminActor, action: string, status: number) =>
  c
    .get("deps")
    .db.transaction((tx) =>
      writeAudit(
        tx,
        { ...actor, sourceIp: sourceAddress(c), requestId: c.get("requestId") },
        { action, target: "dashboard", status },
      ),
    );

export function registerDashboardLogin(app: OpenAPIHono<AppEnv>) {
  app.get(LOGIN_PATH, (c) => {
    const page = loginPage();
    return c.body(page, 200, headersOf(page));
  });
  app.post(LOGIN_PATH, async (c) => {
    const { db, clock } = c.get("deps");
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.token === "string" ? form.token.trim() : "";
    const actor = /^adm_[A-Za-z0-9_-]{16,200}$/.test(token)
      ? await findAdminActor(db, token, clock())
      : undefined;
    if (!canWatch(actor)) {
      await audit(
        c,
        actor ?? { tokenId: "none", name: "(no valid token)", role: "none" },
        "dashboard.login",
        401,
      );
      const page = loginPage("That token is unknown, expired, revoked, or cannot read.");
      return c.body(page, 401, headersOf(page));
    }
    const session = await createSession(db, actor.tokenId, clock());
    setCookie(c, SESSION_COOKIE, session, {
      httpOnly: true,
      sameSite: "Strict",
      secure: overTls(c),
      path: "/dashboard",
      maxAge: SESSION_MINUTES * 60,
    });
    await audit(c, actor, "dashboard.login", 303);
    return c.redirect("/dashboard", 303);
  });
  app.post("/dashboard/logout", async (c) => {
    const { db, clock } = c.get("deps");
    const session = getCookie(c, SESSION_COOKIE);
    if (session) {
      const actor = await findSessionActor(db, session, clock());
      await endSession(db, session);
      if (actor) await audit(c, actor, "dashboard.logout", 303);
    }
    deleteCookie(c, SESSION_COOKIE, { path: "/dashboard", secure: overTls(c) });
    return c.redirect(LOGIN_PATH, 303);
  });
}
