// The admin API's one gate, for every /admin/v1 route: who is calling (`Authorization: Bearer
// adm_…`), whether their role holds the route's permission (route-permissions.ts; a route missing
// there is refused to everyone), whether a destructive call says why (`reason`), and one audit
// row for every call, reads and refusals included, unless the handler recorded it with its change.
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { ApiError } from "../../shared/errors.ts";
import { activeAdminExists, findAdminActor } from "../admin-tokens/admin-tokens.ts";
import { roleHas } from "../admin-tokens/roles.ts";
import type { AdminActor, AppEnv } from "../app-env.ts";
import { writeAudit } from "../audit/audit-log.ts";
import { type RoutePermission, routeKey, routePermissions } from "./route-permissions.ts";
import { sourceAddress } from "./source-address.ts";

const bearer = /^Bearer (adm_[A-Za-z0-9_-]{16,200})$/;
export const MAX_REASON_LENGTH = 500;

/** The handler route this request matched (middleware routes are `ALL`), as a map key. */
function matchedRouteKey(c: Context): string | undefined {
  const route = matchedRoutes(c).find((r) => r.method !== "ALL");
  return route ? routeKey(c.req.method, route.path) : undefined;
}

export const adminAuth = (): MiddlewareHandler<AppEnv> =>
  async function adminAuth(c, next) {
    const deps = c.get("deps");
    const key = matchedRouteKey(c);
    const rule = key ? routePermissions[key] : undefined;
    const context = { sourceIp: sourceAddress(c), requestId: c.get("requestId") };
    const anonymous: AdminActor = { tokenId: "none", name: "(no valid token)", role: "none", ...context };
    let actor = anonymous;
    const record = async (status: number) =>
      deps.db.transaction((tx) =>
        writeAudit(tx, actor, { action: rule?.action ?? "route.unknown", target: c.req.path, status }),
      );
    try {
      const token = bearer.exec(c.req.header("authorization") ?? "")?.[1];
      const found = token ? await findAdminActor(deps.db, token, deps.clock()) : undefined;
      if (!found) {
        throw new ApiError(
          "admin_token_required",
          token
            ? "The admin token is unknown, revoked or expired."
            : "Send an admin token: `Authorization: Bearer adm_…` (partner keys are not accepted here).",
        );
      }
      actor = { ...found, ...context };
      c.set("admin", actor);
      if (key !== undefined) {
        await authorise(c, actor, key, rule);
        actor.reason = await reasonOf(c, rule);
      }
    } catch (err) {
      await record(err instanceof ApiError ? err.status : 500);
      throw err;
    }
    await next();
    if (!actor.recorded || c.res.status >= 400) await record(c.res.status);
  };

async function authorise(
  c: Context<AppEnv>,
  actor: AdminActor,
  key: string,
  rule: RoutePermission | undefined,
) {
  if (actor.role === "bootstrap") {
    // The bootstrap token exists to create the first admin: that call only, and only until an
    // admin token exists (the create handler also limits what it mints).
    const deps = c.get("deps");
    if (key === "POST /admin/v1/admin-tokens" && !(await activeAdminExists(deps.db, deps.clock()))) return;
    throw new ApiError(
      "admin_permission_denied",
      "The bootstrap token can only create the first admin token, and an admin token already exists.",
    );
  }
  if (!rule) {
    throw new ApiError(
      "admin_permission_denied",
      `${key} has no permission assigned: refused to every role.`,
    );
  }
  if (actor.role === "system" || actor.role === "none" || !roleHas(actor.role, rule.permission)) {
    throw new ApiError(
      "admin_permission_denied",
      `Role '${actor.role}' may not do this: it needs the '${rule.permission}' permission.`,
    );
  }
}

/** The body's `reason`, required (400 naming `reason`) when the route's rule says so. */
async function reasonOf(c: Context<AppEnv>, rule: RoutePermission | undefined): Promise<string | null> {
  let body: Record<string, unknown> = {};
  if (c.req.header("content-type")?.startsWith("application/json")) {
    // Hono keeps the parsed body: the route's validator reads the same one. Bad JSON is its to refuse.
    const parsed: unknown = await c.req.json().catch(() => undefined);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  }
  const reason = typeof body.reason === "string" ? body.reason.trim() : "";
  const needed = rule?.reason === true || (typeof rule?.reason === "function" && rule.reason(body));
  if (needed && (reason === "" || reason.length > MAX_REASON_LENGTH)) {
    throw new ApiError(
      "reason_required",
      `This action is destructive: say why in \`reason\` (1 to ${MAX_REASON_LENGTH} characters); it is kept in the audit trail.`,
      { param: "reason" },
    );
  }
  return reason === "" ? null : reason.slice(0, MAX_REASON_LENGTH);
}
