// Gives every request an id (echoed in the `request-id` header and in errors), a child logger
// carrying it, and one access-log line when it ends.
import type { MiddlewareHandler } from "hono";
import { newId } from "../../shared/ids.ts";
import type { AppEnv } from "../app-env.ts";

const incomingId = /^[A-Za-z0-9_-]{8,64}$/;

export const requestContext = (): MiddlewareHandler<AppEnv> =>
  async function requestContext(c, next) {
    const given = c.req.header("request-id");
    const requestId = given && incomingId.test(given) ? given : newId("req");
    c.set("requestId", requestId);
    const log = c.get("deps").logger.child({ request_id: requestId });
    c.set("log", log);
    const started = performance.now();
    // Set before next(): Hono merges it into the response as it is built. A header set after the
    // response exists makes Hono rebuild it as a full web Response, which costs the node adapter
    // its fast path (about a tenth of a payment's gateway CPU). Only a route that built its own
    // Response without it gets it afterwards.
    c.header("request-id", requestId);
    await next();
    if (!c.res.headers.has("request-id")) c.header("request-id", requestId);
    const line = {
      method: c.req.method,
      path: c.req.routePath === "/*" ? "(unmatched)" : c.req.routePath,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      admin_token_id: c.get("admin")?.tokenId,
    };
    if (c.res.status >= 500) log.error(line, "request failed");
    else log.debug(line, "request");
  };
