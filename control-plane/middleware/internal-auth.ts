// The routers' routing-table fetch (GET /internal/v1/routing-table): the routing-table read
// credential and no other. A metrics scraper's or the cell-admin credential is refused.
import type { MiddlewareHandler } from "hono";
import { bearerMatcher, credentialRequired } from "../../shared/http/bearer-auth.ts";
import type { AppEnv } from "../app-env.ts";

export const routerTableAuth = (): MiddlewareHandler<AppEnv> => {
  let matcher: { secret: string; matches: (h: string | undefined) => boolean } | undefined;
  return async function routerTableAuth(c, next) {
    const secret = c.get("deps").credentials.routerTable;
    if (matcher?.secret !== secret) matcher = { secret, matches: bearerMatcher(secret) };
    if (!matcher.matches(c.req.header("authorization"))) throw credentialRequired("routing-table-read");
    await next();
  };
};

/** The name routes/internal/routing-table.ts imports. */
export const internalAuth = routerTableAuth;
